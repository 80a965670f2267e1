#!/usr/bin/env bash
# On a lent GPU machine (a GPU driver, no Node, no network): unpack the kit that
# bench/device/build-kit.mjs made, say what the machine has, then run `deml doctor` and the GPU bench
# (bench/gpu.ts). Everything it prints is also written under $OUT (or bench/device/out).
#
#   bash bench/device/run-on-device.sh [kit.tgz] -- [bench/gpu.ts options, e.g. --rows reference --iterations 5]
#
# The bench runs webgpu only (BACKENDS=webgpu,wasm adds the device's CPU): the wasm column of the
# results table is this project's own CPU, measured there with `npx tsx bench/gpu.ts --backends wasm`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
kit=$here/kit.tgz
if [ $# -gt 0 ] && [ "$1" != "--" ]; then kit=$1; shift; fi
[ "${1:-}" = "--" ] && shift
out=${OUT:-$here/out}
mkdir -p "$out"
[ -f "$kit" ] || { echo "no kit at $kit: build it with node bench/device/build-kit.mjs" >&2; exit 2; }
work=$(mktemp -d)
tar -xzf "$kit" -C "$work"
mkdir -p "$work/xdg" "$work/data"
export XDG_RUNTIME_DIR=$work/xdg DEML_DATA_DIR=$work/data

section() { printf '\n## %s\n' "$1"; }
{
  section 'GPU (nvidia-smi)'
  nvidia-smi 2>&1 || echo "nvidia-smi: not found or failed"
  section 'Vulkan drivers (ICD files)'
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    echo "$d:"
    ls -l "$d" 2>&1 | sed 's/^/  /'
    for f in "$d"/*.json; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
  done
  section 'Vulkan loader and NVIDIA libraries (ldconfig -p)'
  ldconfig -p 2>&1 | grep -i -E 'vulkan|libGLX_nvidia|libEGL_nvidia|libnvidia-glvkspirv' || echo "none"
} 2>&1 | tee "$out/machine.txt"

# Dawn opens libvulkan.so.1: the machine's, else the kit's (Debian's loader).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  echo "no Vulkan loader here: using the kit's" | tee -a "$out/machine.txt"
  export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# In containers the NVIDIA driver's Vulkan library is often mounted without its manifest; a
# manifest of our own pointing at it lets the loader find it.
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  if ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0 '; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' >"$work/nvidia_icd.json"
    export VK_ICD_FILENAMES=$work/nvidia_icd.json
    echo "no NVIDIA Vulkan manifest: using one that names libGLX_nvidia.so.0" | tee -a "$out/machine.txt"
  fi
fi

cd "$work" || exit 1
section "deml doctor" | tee "$out/doctor.txt"
./node doctor.mjs 2>&1 | tee -a "$out/doctor.txt"
section "GPU bench: node gpu.mjs --backends ${BACKENDS:-webgpu} $*" | tee "$out/gpu-bench.md"
./node gpu.mjs --backends "${BACKENDS:-webgpu}" "$@" 2>&1 | tee -a "$out/gpu-bench.md"
