//! The `alluvium` binary: the GUI, or a headless command (see `alluvium --help`).

fn main() -> std::process::ExitCode {
    alluvium::cli::main()
}
