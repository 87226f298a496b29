//! A private certificate authority made up for one test: the kind an operator sets up for a
//! sync server on a district network, which devices are told to trust.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::path::{Path, PathBuf};

/// A self-signed CA with a fresh key.
pub struct PrivateCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its key, written as PEM files for `--tls-cert` and `--tls-key`.
pub struct ServerFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl PrivateCa {
    /// A new CA; no two share a key, so one is always the wrong CA for another's server.
    pub fn generate() -> PrivateCa {
        let key = KeyPair::generate().expect("a fresh key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty names");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        PrivateCa {
            issuer: CertifiedIssuer::self_signed(params, key).expect("a self-signed CA"),
        }
    }

    /// The CA certificate in PEM, what a device is given to trust.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Signs a server certificate for `names` (host names or IP addresses) and writes it and
    /// its key to `cert.pem` and `key.pem` in `dir`.
    pub fn server_files(&self, dir: &Path, names: &[&str]) -> ServerFiles {
        let key = KeyPair::generate().expect("a fresh key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = CertificateParams::new(names)
            .expect("valid names")
            .signed_by(&key, &self.issuer)
            .expect("the CA signs");
        let files = ServerFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, cert.pem()).expect("cert.pem is written");
        std::fs::write(&files.key, key.serialize_pem()).expect("key.pem is written");
        files
    }
}
