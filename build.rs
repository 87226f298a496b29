//! Compiles the Slint UI when the `gui` feature is on.

fn main() {
    #[cfg(feature = "gui")]
    {
        let config = slint_build::CompilerConfiguration::new()
            .with_style("fluent".into())
            // Element queries in the UI tests need debug info.
            .with_debug_info(true);
        if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
            panic!("cannot compile the UI: {e}");
        }
    }
}
