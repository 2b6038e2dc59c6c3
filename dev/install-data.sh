#!/usr/bin/env bash
# Installs what the build and the tests need from Debian, unless already there:
# - Fashion-MNIST from the package dataset-fashion-mnist (files under /usr/share/datasets/fashion-mnist/);
# - g++, which compiles djl-quant's native PyTorch operator (djl-quant/src/main/native).
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
packages=()
if [ ! -f "$dir/train-images-idx3-ubyte.gz" ] || [ ! -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
  packages+=(dataset-fashion-mnist)
fi
if ! command -v g++ > /dev/null 2>&1; then
  packages+=(g++)
fi
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${packages[@]}"
ls "$dir"
