#!/usr/bin/env sh
# Compiles the native PyTorch operators into $1/libdjl_quant_kernels.so (run by Maven's
# process-classes phase). The library references libtorch_cpu.so (the operator registry) and
# libgomp.so.1 by name only: at run time both are the copies DJL's PyTorch engine has loaded, so
# the link step uses an empty stand-in with libtorch_cpu.so's name. Without g++ (or off
# linux-x86_64) it builds nothing and djl-quant computes the same values with PyTorch operations.
set -eu
out="$1"
dir="$(dirname "$0")"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ] || ! command -v g++ > /dev/null 2>&1; then
    echo "djl-quant: no g++ for Linux x86_64 here, native kernels not built (the PyTorch-operation path is used)"
    exit 0
fi
stub="$(mktemp -d)"
trap 'rm -rf "$stub"' EXIT
mkdir -p "$out"
: > "$stub/empty.c"
gcc -shared -o "$stub/libtorch_cpu.so" -Wl,-soname,libtorch_cpu.so "$stub/empty.c"
g++ -std=c++17 -O3 -fPIC -shared -fopenmp -fno-math-errno -fno-trapping-math -ffp-contract=off -Wall -Wextra -Werror \
    -o "$out/libdjl_quant_kernels.so.tmp" "$dir/lsq_kernels.cpp" "$dir/shift_kernels.cpp" "$dir/memory_tuning.cpp" -L"$stub" -Wl,--no-as-needed -l:libtorch_cpu.so -Wl,--as-needed
mv -f "$out/libdjl_quant_kernels.so.tmp" "$out/libdjl_quant_kernels.so"
