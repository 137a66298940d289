//! The secret seed from the command line or the environment.

use super::CommonArgs;

/// Reads the secret seed: `STS_GEN_SECRET_SEED` (the seed itself) or a seed file.
pub(super) fn secret_seed(args: &CommonArgs) -> Result<Option<Vec<u8>>, String> {
    let seed = match (
        &args.secret_seed_file,
        std::env::var_os("STS_GEN_SECRET_SEED"),
    ) {
        (Some(path), _) => {
            sts_gen::shared::read_limited(path, sts_gen::shared::MAX_SEED_FILE_BYTES).map_err(
                |e| {
                    format!(
                        "--secret-seed-file {}: {}",
                        path.display(),
                        sts_gen::shared::io_reason(&e)
                    )
                },
            )?
        }
        (None, Some(v)) => v.into_encoded_bytes(),
        (None, None) => return Ok(None),
    };
    sts_gen::model::secret_seed(seed).map(Some)
}
