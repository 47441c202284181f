//! PGP decryption (rPGP, pure Rust) of a fetched file into a staging file, streamed: the
//! message is read packet by packet and the plain text written as it comes.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use fidelis_domain::connect::PgpKey;
use pgp::composed::{Deserializable, Message, SignedSecretKey};
use pgp::types::Password;

/// Why a file was not decrypted.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    /// The dataflow's key cannot be used (file missing, passphrase variable unset): not
    /// the file's fault.
    #[error("the PGP key cannot be used: {0}")]
    Key(String),
    /// The file is not a message this key opens.
    #[error("the file cannot be decrypted: {0}")]
    Message(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Decrypts `input` into `output` with `key` (on a blocking thread).
pub async fn decrypt(key: &PgpKey, input: &Path, output: &Path) -> Result<(), DecryptError> {
    let (key, input, output): (PgpKey, PathBuf, PathBuf) =
        (key.clone(), input.into(), output.into());
    tokio::task::spawn_blocking(move || decrypt_blocking(&key, &input, &output))
        .await
        .map_err(|e| DecryptError::Io(std::io::Error::other(e)))?
}

fn decrypt_blocking(key: &PgpKey, input: &Path, output: &Path) -> Result<(), DecryptError> {
    let secret = secret_key(key)?;
    let password: Password = match &key.passphrase_env {
        Some(var) => std::env::var(var)
            .map_err(|_| DecryptError::Key(format!("environment variable {var} is not set")))?
            .into(),
        None => Password::empty(),
    };
    let reader = BufReader::new(File::open(input)?);
    let (message, _) =
        Message::from_reader(reader).map_err(|e| DecryptError::Message(e.to_string()))?;
    let mut message = message
        .decrypt(&password, &secret)
        .map_err(|e| DecryptError::Message(e.to_string()))?;
    if message.is_compressed() {
        message = message
            .decompress()
            .map_err(|e| DecryptError::Message(e.to_string()))?;
    }
    let mut out = BufWriter::new(File::create(output)?);
    // A message whose integrity check fails errors here, at its end.
    std::io::copy(&mut message, &mut out).map_err(|e| DecryptError::Message(e.to_string()))?;
    let file = out
        .into_inner()
        .map_err(|e| DecryptError::Io(e.into_error()))?;
    file.sync_all()?;
    Ok(())
}

fn secret_key(key: &PgpKey) -> Result<SignedSecretKey, DecryptError> {
    let file = File::open(&key.key_file)
        .map_err(|e| DecryptError::Key(format!("{}: {e}", key.key_file)))?;
    let (secret, _) = SignedSecretKey::from_reader_single(BufReader::new(file))
        .map_err(|e| DecryptError::Key(format!("{}: {e}", key.key_file)))?;
    Ok(secret)
}
