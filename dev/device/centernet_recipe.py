"""Recipe check for the zoo's CenterNet, run on a lent GPU (PyTorch): the same scenes (1-4
Fashion-MNIST items on 96x96, scale 1-2x, IoU <= 0.2, tight boxes), the same model (MobileNetV2
features, first stride 2; three nearest-x2 + 3x3 conv + BN + ReLU stages; heat-map/size/offset
heads), targets, focal + L1 loss, peak decoding and COCO mAP (101 points) as the Java code, to see
how many epochs of Adam (cosine from 2e-3) reach mAP@.5 >= 0.80 before spending CPU hours in Java.
Usage: [SCENES=10000] python3 centernet_recipe.py DATA_DIR EPOCHS [EPOCHS ...]"""
import gzip, math, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

MEAN, STD, SIDE, STRIDE, C = 0.2860, 0.3530, 96, 4, 10

def idx(path, images):
    with gzip.open(path) as f:
        data = np.frombuffer(f.read(), np.uint8)
    return data[16:].reshape(-1, 28, 28).astype(np.float32) / 255 if images else data[8:].astype(np.int64)

def resize(img, side):
    t = torch.from_numpy(img)[None, None]
    return F.interpolate(t, size=(side, side), mode="bilinear", align_corners=False)[0, 0].numpy()

def iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]); ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return 0 if iw <= 0 or ih <= 0 else iw * ih / (a[2] * a[3] + b[2] * b[3] - iw * ih)

def scenes(images, labels, n, seed):
    xs = np.zeros((n, 1, SIDE, SIDE), np.float32); boxes = []
    for s in range(n):
        r = np.random.default_rng(seed * 1000003 + s); want = r.integers(1, 5); objs = []; canvas = xs[s, 0]
        for _ in range(30 * want):
            if len(objs) == want: break
            i = r.integers(len(images)); side = min(SIDE, int(round(28 * (1 + r.random()))))
            x0, y0 = r.integers(SIDE - side + 1), r.integers(SIDE - side + 1)
            it = resize(images[i], side); ys, xs_ = np.nonzero(it > 0.1)
            if len(ys) == 0: continue
            box = (x0 + xs_.min(), y0 + ys.min(), xs_.max() - xs_.min() + 1, ys.max() - ys.min() + 1)
            if any(iou(box, o[1:]) > 0.2 for o in objs): continue
            canvas[y0:y0 + side, x0:x0 + side] = np.maximum(canvas[y0:y0 + side, x0:x0 + side], it)
            objs.append((int(labels[i]),) + tuple(int(v) for v in box))
        boxes.append(objs)
    return (xs - MEAN) / STD, boxes

def radius(h, w, o=0.7):
    b1 = h + w; c1 = w * h * (1 - o) / (1 + o); r1 = (b1 + math.sqrt(b1 * b1 - 4 * c1)) / 2
    b2 = 2 * (h + w); c2 = (1 - o) * w * h; r2 = (b2 + math.sqrt(b2 * b2 - 16 * c2)) / 2
    a3 = 4 * o; b3 = -2 * o * (h + w); c3 = (o - 1) * w * h; r3 = (b3 + math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)

def targets(boxes, side=SIDE // STRIDE):
    n = len(boxes); heat = np.zeros((n, C, side, side), np.float32); reg = np.zeros((n, 4, side, side), np.float32)
    mask = np.zeros((n, 1, side, side), np.float32)
    for k, objs in enumerate(boxes):
        for (c, x, y, w, h) in objs:
            w, h = w / STRIDE, h / STRIDE; cx, cy = x / STRIDE + w / 2, y / STRIDE + h / 2
            px, py = min(side - 1, int(cx)), min(side - 1, int(cy)); rad = max(0, int(radius(h, w))); sig = (2 * rad + 1) / 6
            for yy in range(max(0, py - rad), min(side - 1, py + rad) + 1):
                for xx in range(max(0, px - rad), min(side - 1, px + rad) + 1):
                    heat[k, c, yy, xx] = max(heat[k, c, yy, xx], math.exp(-((xx - px) ** 2 + (yy - py) ** 2) / (2 * sig * sig)))
            reg[k, :, py, px] = (w, h, cx - px, cy - py); mask[k, 0, py, px] = 1
    return heat, reg, mask

def conv_bn(i, o, k, s, g=1, act=nn.ReLU6):
    return nn.Sequential(nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o), act())

class Inverted(nn.Module):
    def __init__(self, i, o, s, e):
        super().__init__(); h = i * e; layers = [conv_bn(i, h, 1, 1)] if e != 1 else []
        layers += [conv_bn(h, h, 3, s, h), nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o)]
        self.body = nn.Sequential(*layers); self.res = s == 1 and i == o
    def forward(self, x):
        return x + self.body(x) if self.res else self.body(x)

class Up(nn.Module):
    def __init__(self, i, o):
        super().__init__(); self.conv = conv_bn(i, o, 3, 1, act=nn.ReLU)
    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))

def centernet():
    layers = [conv_bn(1, 32, 3, 2)]; i = 32
    for e, o, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for k in range(n):
            layers.append(Inverted(i, o, s if k == 0 else 1, e)); i = o
    for o in (128, 64, 64):
        layers.append(Up(i, o)); i = o
    body = nn.Sequential(*layers)
    heads = nn.ModuleList([nn.Sequential(nn.Conv2d(64, 64, 3, 1, 1), nn.ReLU(), nn.Conv2d(64, k, 1)) for k in (C, 2, 2)])
    heads[0][2].bias.data.fill_(-2.19)
    class Net(nn.Module):
        def __init__(self):
            super().__init__(); self.body = body; self.heads = heads
        def forward(self, x):
            f = self.body(x); return torch.cat([h(f) for h in self.heads], 1)
    return Net()

def loss_fn(out, heat, reg, mask):
    p = torch.sigmoid(out[:, :C]).clamp(1e-4, 1 - 1e-4); pos = (heat == 1).float(); n = max(1.0, pos.sum().item())
    focal = -((torch.log(p) * (1 - p) ** 2 * pos).sum() + (torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * (1 - pos)).sum()) / n
    l1 = ((out[:, C:] - reg).abs() * mask)
    return focal + 0.1 * l1[:, :2].sum() / n + l1[:, 2:].sum() / n

def decode(out, k=100, thr=0.01):
    out = out.float().cpu(); heat = torch.sigmoid(out[:, :C]); peak = (F.max_pool2d(heat, 3, 1, 1) == heat).float() * heat
    n, _, s, _ = heat.shape; scores, idx_ = peak.view(n, -1).topk(k); res = []
    for b in range(n):
        dets = []
        for sc, i in zip(scores[b].tolist(), idx_[b].tolist()):
            if sc < thr: break
            c, y, x = i // (s * s), (i % (s * s)) // s, i % s
            w, h, ox, oy = out[b, C:, y, x].tolist(); cx, cy = x + ox, y + oy
            dets.append((c, sc, (cx - w / 2) / s, (cy - h / 2) / s, w / s, h / s))
        res.append(dets)
    return res

def coco_map(all_dets, all_boxes):
    def box_iou(a, b):
        return iou(a, b)
    aps, aps50 = [], []
    for c in range(C):
        gts = {(i, j): b for i, bs in enumerate(all_boxes) for j, b in enumerate(bs) if b[0] == c}
        if not gts: continue
        by_image = {}
        for (gi, gj), g in gts.items(): by_image.setdefault(gi, []).append(((gi, gj), g))
        dets = sorted([(d[1], i, d[2:]) for i, ds in enumerate(all_dets) for d in ds if d[0] == c], key=lambda t: -t[0])
        per_t = []
        for t in np.arange(0.5, 0.96, 0.05):
            used = set(); tp = 0; prec = []; rec = []
            for k, (sc, i, b) in enumerate(dets):
                best, bi = None, t
                for (gi, gj), g in by_image.get(i, []):
                    if (gi, gj) in used: continue
                    v = box_iou(b, tuple(x / SIDE for x in g[1:]))
                    if v >= bi: best, bi = (gi, gj), v
                if best: used.add(best); tp += 1
                prec.append(tp / (k + 1)); rec.append(tp / len(gts))
            for k in range(len(prec) - 2, -1, -1): prec[k] = max(prec[k], prec[k + 1])
            ap = 0
            recs = np.array(rec)
            for r in np.linspace(0, 1, 101):
                j = int(np.searchsorted(recs, r - 1e-12)) if rec else 0
                ap += prec[j] if j < len(rec) else 0
            per_t.append(ap / 101)
        aps.append(np.mean(per_t)); aps50.append(per_t[0])
    return float(np.mean(aps)), float(np.mean(aps50))

def main():
    data, runs = sys.argv[1], [int(e) for e in sys.argv[2:]]
    tr_i, tr_l = idx(f"{data}/train-images-idx3-ubyte.gz", True), idx(f"{data}/train-labels-idx1-ubyte.gz", False)
    te_i, te_l = idx(f"{data}/t10k-images-idx3-ubyte.gz", True), idx(f"{data}/t10k-labels-idx1-ubyte.gz", False)
    N = int(os.environ.get("SCENES", "10000"))
    t0 = time.time(); xtr, btr = scenes(tr_i, tr_l, N, 17); xte, bte = scenes(te_i, te_l, 2000, 18)
    htr, rtr, mtr = targets(btr); print(f"scenes ready in {time.time() - t0:.0f}s", flush=True)
    dev = "cuda"; X, H, R, M = (torch.from_numpy(a).to(dev) for a in (xtr, htr, rtr, mtr)); XT = torch.from_numpy(xte).to(dev)
    for epochs in runs:
        torch.manual_seed(0); net = centernet().to(dev); steps = epochs * (N // 32)
        opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-5)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, 1e-5); t0 = time.time()
        for e in range(epochs):
            net.train(); perm = torch.randperm(N, device=dev); tot = 0
            for k in range(N // 32):
                b = perm[k * 32:(k + 1) * 32]; l = loss_fn(net(X[b]), H[b], R[b], M[b])
                opt.zero_grad(); l.backward(); opt.step(); sched.step(); tot += l.item()
            if e in (epochs // 2, epochs - 1):
                net.eval(); dets = []
                with torch.no_grad():
                    for k in range(0, 2000, 200): dets += decode(net(XT[k:k + 200]))
                m, m50 = coco_map(dets, bte)
                print(f"epochs {epochs}: epoch {e + 1} loss {tot / (N // 32):.3f} mAP {m:.4f} mAP50 {m50:.4f} ({time.time() - t0:.0f}s)", flush=True)

if __name__ == "__main__":
    main()
