# Sourced by scripts that render the bundled profiles (bench.sh, symbol-order.sh).
#
# export_preset_secrets BIN PREFIX: gives every secret the bundled presets read from the
# environment (the `# export NAME=...` lines of `sts-gen init PRESET`) a dummy value
# `PREFIX-NAME-0123456789abcdef`, unless it is set already; MYSQL_ROOT_PASSWORD (which
# profiles/mysql.yaml reads) defaults to `PREFIX-password`.
export_preset_secrets() {
    local bin=$1 prefix=$2 preset var
    for preset in $("$bin" presets | awk '{print $1}'); do
        for var in $("$bin" init "$preset" | sed -n 's/^#[[:space:]]*export \([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
            [[ -n ${!var:-} ]] || export "$var=$prefix-$var-0123456789abcdef"
        done
    done
    export MYSQL_ROOT_PASSWORD=${MYSQL_ROOT_PASSWORD:-$prefix-password}
}
