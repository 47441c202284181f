//! Helpers of the source tests: a dataflow, a handler that records what it was given, a
//! PGP key made on the spot.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fidelis_connect::sources::{Failure, FileHandler};
use fidelis_domain::connect::Dataflow;
use pgp::composed::{
    ArmorOptions, EncryptionCaps, KeyType, MessageBuilder, SecretKeyParamsBuilder, SignedPublicKey,
    SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use sha2::Digest;

/// A transaction dataflow with these `[source]` lines.
pub fn flow(source_lines: &str) -> Arc<Dataflow> {
    let text = format!(
        r#"
name = "bills"
template = "transaction-v2-add"
[source]
{source_lines}
[mapping]
billNumber = "Bill No"
billAmount = "Amount"
mobile = "Mobile"
[attribution]
till = "demo.till"
"#
    );
    Arc::new(Dataflow::parse(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}")))
}

/// Records (file name, content) of every file handed over, and answers as told.
#[derive(Clone, Default)]
pub struct Recorder {
    seen: Arc<Mutex<Vec<(String, String)>>>,
    answer: Arc<Mutex<Option<Failure>>>,
}

impl Recorder {
    pub fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }

    pub fn answer(&self, failure: Option<Failure>) {
        *self.answer.lock().unwrap() = failure;
    }

    pub fn handler(&self) -> impl FileHandler {
        let rec = self.clone();
        move |_flow: Arc<Dataflow>, path: PathBuf| {
            let rec = rec.clone();
            async move {
                let content = std::fs::read_to_string(&path).unwrap();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                rec.seen.lock().unwrap().push((name, content));
                match rec.answer.lock().unwrap().clone() {
                    None => Ok(()),
                    Some(f) => Err(f),
                }
            }
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// An OpenPGP key with an encryption subkey.
pub struct TestKey {
    secret: SignedSecretKey,
    public: SignedPublicKey,
}

pub fn pgp_key(passphrase: Option<&str>) -> TestKey {
    let mut rng = rand::thread_rng();
    let mut enc = SubkeyParamsBuilder::default();
    enc.key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
        .can_sign(false)
        .can_encrypt(EncryptionCaps::All)
        .can_authenticate(false)
        .passphrase(passphrase.map(str::to_string));
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .can_encrypt(EncryptionCaps::None)
        .primary_user_id("Fidelis Test <test@example.com>".into())
        .passphrase(passphrase.map(str::to_string))
        .subkeys(vec![enc.build().unwrap()]);
    let secret = params.build().unwrap().generate(&mut rng).unwrap();
    let public = SignedPublicKey::from(secret.clone());
    TestKey { secret, public }
}

impl TestKey {
    pub fn armored_secret(&self) -> String {
        self.secret
            .to_armored_string(ArmorOptions::default())
            .unwrap()
    }

    /// `plain` encrypted to the key's subkey, binary or armored.
    pub fn encrypt(&self, plain: &[u8], armored: bool) -> Vec<u8> {
        let mut rng = rand::thread_rng();
        let mut builder = MessageBuilder::from_bytes("", plain.to_vec())
            .seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
        builder
            .encrypt_to_key(&mut rng, &self.public.public_subkeys[0])
            .unwrap();
        if armored {
            builder
                .to_armored_string(&mut rng, ArmorOptions::default())
                .unwrap()
                .into_bytes()
        } else {
            builder.to_vec(&mut rng).unwrap()
        }
    }
}
pub mod sshd;
