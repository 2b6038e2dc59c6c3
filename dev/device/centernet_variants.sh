#!/bin/bash
# Runs the CenterNet variants side by side on the lent GPU; logs under $OUT.
cd "$(dirname "$0")"; export PYTHONUNBUFFERED=1; D=${1:-../../.fmnist}; T=/tmp/cn.npz
t0=$(date +%s); [ -f $T.boxes ] || python3 centernet_variants.py $D $T prepare || exit 1; echo "prepared in $(( $(date +%s) - t0 ))s"
VARIANTS=${VARIANTS:-"base0 0 torch adamw no;base1 1 torch adamw no;djl0 0 djl adam no;djl1 1 djl adam no;djlflip0 0 djl adam flip;baseflip0 0 torch adamw flip"}
IFS=";" read -ra ALL <<< "$VARIANTS"
for v in "${ALL[@]}"; do
  IFS=" " read -ra A <<< "$v"; python3 centernet_variants.py $D $T "${A[@]}" > $OUT/${A[0]}.log 2>&1 &
done
while [ "$(jobs -r | wc -l)" -gt 0 ]; do sleep 20; tail -qn1 $OUT/*.log; echo "-- $(( $(date +%s) - t0 ))s"; done
