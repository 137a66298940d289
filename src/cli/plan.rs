//! `sts-gen plan`: the StatefulSet controller's view of a profile, offline.

use super::{options, print_out, PlanArgs, PlanFormat};
use sts_gen::{plan, profile, Failure};

/// Prints the plan (or with `--effective` the merged profile).
pub(super) fn run(args: &PlanArgs) -> Result<(), String> {
    let common = &args.common;
    if common.profile == "-" && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(
            "no profile given; pass a file, or `-` with the profile on standard input (see --help)"
                .into(),
        );
    }
    let loaded =
        profile::load_file_with(&common.profile, &common.layers()).map_err(|e| e.to_string())?;
    let opts = options(common, None)?;
    // Built first even with --effective, so a profile that does not render prints nothing.
    let planned = plan::plan(&loaded, &opts).map_err(|e| Failure::Load(e).to_string())?;
    let text = if args.effective {
        plan::effective(&loaded)
    } else {
        match args.output {
            PlanFormat::Text => plan::to_text(&planned),
            PlanFormat::Json => {
                serde_json::to_string_pretty(&planned).map_err(|e| e.to_string())? + "\n"
            }
        }
    };
    print_out(&text)
}
