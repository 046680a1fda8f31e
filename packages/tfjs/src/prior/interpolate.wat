;; The prior kernel's per-weight loop (kernel.ts, step 4) in WebAssembly: the same arithmetic as
;; interpolateCountAndRange, about twice as fast as V8's code for the JS loop (bench/prior-kernel.ts).
;; Compiled to interpolate-wasm.ts by `npm run build:wasm -w @softweight/tfjs`; a test checks the two agree.
;;
;; interpolate(w, n, lo, invh, pm, mb, g, maxk, range) over the n float32 weights at byte offset w:
;;   u = (w_i - lo) * invh, k = floor(u) clamped to [0, maxk], t = u - k;
;;   g_i = P0 + t (P1 + t (P2 + t P3)) from the 8 doubles at pm + 64 k (4 coefficients, then 4 moments);
;;   the moments 1, t, t^2, t^3 are added to pm + 64 k + 32 (even i) or to the 4 doubles at mb + 32 k (odd i):
;;   two tables, so that neighbouring weights in one sub-cell do not chain every update on the previous store;
;;   the weights' min and max go to the two doubles at `range` (NaN weights are skipped, as in the JS loop;
;;   compare-and-select, since f64.min/max's NaN rules cost V8 a branchy sequence: about 1 ns per weight here).
;; interpolate_cells(w, n, lo, invdc, pm, mb, g, maxk, range, cells, maxc): the same on a two-level grid: coarse
;;   cell c = floor((w_i - lo) * invdc) clamped to [0, maxc] has m_c sub-cells starting at sub-cell base_c (16 bytes
;;   per cell at `cells`: m_c as f64, then base_c as i32); k = base_c + floor(tc m_c), t = tc m_c - floor(tc m_c)
;;   for the weight's position tc in its cell. About 1.6x the cost per weight of `interpolate`, for far fewer
;;   table nodes when a few sharp components set the finest spacing.
;; In `interpolate`, floor(u) is round-to-nearest(u - 0.5) by adding 1.5 * 2^52 (V8's scalar float-to-int
;; conversions cost 3x this whole loop): exact for 0 <= u < 2^31 except at integer u, where it may give k = u - 1
;; and t = 1, the same point of the same cubic. `interpolate_cells` runs two weights at a time in SIMD lanes and
;; truncates with i32x4.trunc_sat (cheap there), which equals the JS loop's `| 0`, ties included; measured 8% faster
;; for a late-training step's three kernels than its scalar version. The clamps keep every access inside the
;; tables; a weight outside [lo, hi] makes the caller discard the result (it checks `range`).
(module
  (memory (export "memory") 1)
  (func (export "interpolate")
    (param $w i32) (param $n i32) (param $lo f64) (param $invh f64) (param $pm i32) (param $mb i32)
    (param $g i32) (param $maxk i32) (param $range i32)
    (local $end i32) (local $x f64) (local $mn f64) (local $mx f64)
    (local $a f64) (local $u f64) (local $k i32) (local $t f64) (local $t2 f64) (local $s i32)
    (local $b f64) (local $v f64) (local $l i32) (local $q f64) (local $q2 f64) (local $r i32)
    (local.set $mn (f64.const inf))
    (local.set $mx (f64.const -inf))
    ;; pairs
    (local.set $end (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $pairs_done
      (br_if $pairs_done (i32.ge_u (local.get $w) (local.get $end)))
      (loop $pairs
        (local.set $a (f64.promote_f32 (f32.load (local.get $w))))
        (local.set $b (f64.promote_f32 (f32.load offset=4 (local.get $w))))
        (local.set $mn (select (local.get $a) (local.get $mn) (f64.lt (local.get $a) (local.get $mn))))
        (local.set $mx (select (local.get $a) (local.get $mx) (f64.gt (local.get $a) (local.get $mx))))
        (local.set $mn (select (local.get $b) (local.get $mn) (f64.lt (local.get $b) (local.get $mn))))
        (local.set $mx (select (local.get $b) (local.get $mx) (f64.gt (local.get $b) (local.get $mx))))
        ;; even weight: index, position, gradient
        (local.set $u (f64.mul (f64.sub (local.get $a) (local.get $lo)) (local.get $invh)))
        (local.set $x (f64.add (f64.sub (local.get $u) (f64.const 0.5)) (f64.const 6755399441055744.0)))
        (local.set $k (i32.wrap_i64 (i64.reinterpret_f64 (local.get $x))))
        (local.set $k (select (local.get $k) (i32.const 0) (i32.gt_s (local.get $k) (i32.const 0))))
        (local.set $k (select (local.get $k) (local.get $maxk) (i32.lt_s (local.get $k) (local.get $maxk))))
        (local.set $t (f64.sub (local.get $u) (f64.convert_i32_s (local.get $k))))
        (local.set $s (i32.add (local.get $pm) (i32.shl (local.get $k) (i32.const 6))))
        ;; odd weight
        (local.set $v (f64.mul (f64.sub (local.get $b) (local.get $lo)) (local.get $invh)))
        (local.set $x (f64.add (f64.sub (local.get $v) (f64.const 0.5)) (f64.const 6755399441055744.0)))
        (local.set $l (i32.wrap_i64 (i64.reinterpret_f64 (local.get $x))))
        (local.set $l (select (local.get $l) (i32.const 0) (i32.gt_s (local.get $l) (i32.const 0))))
        (local.set $l (select (local.get $l) (local.get $maxk) (i32.lt_s (local.get $l) (local.get $maxk))))
        (local.set $q (f64.sub (local.get $v) (f64.convert_i32_s (local.get $l))))
        (local.set $r (i32.add (local.get $pm) (i32.shl (local.get $l) (i32.const 6))))
        (f32.store (local.get $g) (f32.demote_f64
          (f64.add (f64.load (local.get $s)) (f64.mul (local.get $t)
            (f64.add (f64.load offset=8 (local.get $s)) (f64.mul (local.get $t)
              (f64.add (f64.load offset=16 (local.get $s)) (f64.mul (local.get $t) (f64.load offset=24 (local.get $s))))))))))
        (f32.store offset=4 (local.get $g) (f32.demote_f64
          (f64.add (f64.load (local.get $r)) (f64.mul (local.get $q)
            (f64.add (f64.load offset=8 (local.get $r)) (f64.mul (local.get $q)
              (f64.add (f64.load offset=16 (local.get $r)) (f64.mul (local.get $q) (f64.load offset=24 (local.get $r))))))))))
        ;; moments
        (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
        (f64.store offset=32 (local.get $s) (f64.add (f64.load offset=32 (local.get $s)) (f64.const 1)))
        (f64.store offset=40 (local.get $s) (f64.add (f64.load offset=40 (local.get $s)) (local.get $t)))
        (f64.store offset=48 (local.get $s) (f64.add (f64.load offset=48 (local.get $s)) (local.get $t2)))
        (f64.store offset=56 (local.get $s) (f64.add (f64.load offset=56 (local.get $s)) (f64.mul (local.get $t2) (local.get $t))))
        (local.set $q2 (f64.mul (local.get $q) (local.get $q)))
        (local.set $r (i32.add (local.get $mb) (i32.shl (local.get $l) (i32.const 5))))
        (f64.store (local.get $r) (f64.add (f64.load (local.get $r)) (f64.const 1)))
        (f64.store offset=8 (local.get $r) (f64.add (f64.load offset=8 (local.get $r)) (local.get $q)))
        (f64.store offset=16 (local.get $r) (f64.add (f64.load offset=16 (local.get $r)) (local.get $q2)))
        (f64.store offset=24 (local.get $r) (f64.add (f64.load offset=24 (local.get $r)) (f64.mul (local.get $q2) (local.get $q))))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (br_if $pairs (i32.lt_u (local.get $w) (local.get $end)))
      )
    )
    ;; the last weight of an odd count
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $a (f64.promote_f32 (f32.load (local.get $w))))
        (local.set $mn (select (local.get $a) (local.get $mn) (f64.lt (local.get $a) (local.get $mn))))
        (local.set $mx (select (local.get $a) (local.get $mx) (f64.gt (local.get $a) (local.get $mx))))
        (local.set $u (f64.mul (f64.sub (local.get $a) (local.get $lo)) (local.get $invh)))
        (local.set $x (f64.add (f64.sub (local.get $u) (f64.const 0.5)) (f64.const 6755399441055744.0)))
        (local.set $k (i32.wrap_i64 (i64.reinterpret_f64 (local.get $x))))
        (local.set $k (select (local.get $k) (i32.const 0) (i32.gt_s (local.get $k) (i32.const 0))))
        (local.set $k (select (local.get $k) (local.get $maxk) (i32.lt_s (local.get $k) (local.get $maxk))))
        (local.set $t (f64.sub (local.get $u) (f64.convert_i32_s (local.get $k))))
        (local.set $s (i32.add (local.get $pm) (i32.shl (local.get $k) (i32.const 6))))
        (f32.store (local.get $g) (f32.demote_f64
          (f64.add (f64.load (local.get $s)) (f64.mul (local.get $t)
            (f64.add (f64.load offset=8 (local.get $s)) (f64.mul (local.get $t)
              (f64.add (f64.load offset=16 (local.get $s)) (f64.mul (local.get $t) (f64.load offset=24 (local.get $s))))))))))
        (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
        (f64.store offset=32 (local.get $s) (f64.add (f64.load offset=32 (local.get $s)) (f64.const 1)))
        (f64.store offset=40 (local.get $s) (f64.add (f64.load offset=40 (local.get $s)) (local.get $t)))
        (f64.store offset=48 (local.get $s) (f64.add (f64.load offset=48 (local.get $s)) (local.get $t2)))
        (f64.store offset=56 (local.get $s) (f64.add (f64.load offset=56 (local.get $s)) (f64.mul (local.get $t2) (local.get $t))))
      )
    )
    (f64.store (local.get $range) (local.get $mn))
    (f64.store offset=8 (local.get $range) (local.get $mx))
  )
;; interpolate_cells in SIMD, the even weight in lane 0 and the odd one in lane 1 of f64x2 vectors: index, position,
;; cubic and min/max for both at once; coefficients and moments move as pairs of doubles. Indices truncate toward
;; zero (i32x4.trunc_sat, as JS's `| 0`: floor for the weights inside [lo, hi]), so the results equal the JS loop's
;; bit for bit, ties included.
  (func (export "interpolate_cells")
    (param $w i32) (param $n i32) (param $lo f64) (param $invh f64) (param $pm i32) (param $mb i32)
    (param $g i32) (param $maxk i32) (param $range i32) (param $cells i32) (param $maxc i32)
    (local $end i32) (local $x v128) (local $u v128) (local $ci v128) (local $si v128) (local $t v128)
    (local $t2 v128) (local $t3 v128) (local $p v128) (local $vmn v128) (local $vmx v128) (local $vlo v128)
    (local $vinvh v128) (local $zero v128) (local $vmaxc v128) (local $vmaxk v128) (local $one v128)
    (local $cb0 i32) (local $cb1 i32) (local $s i32) (local $r i32) (local $a01 v128) (local $a23 v128)
    (local $b01 v128) (local $b23 v128) (local $mn f64) (local $mx f64) (local $a f64) (local $us f64)
    (local $c i32) (local $cb i32) (local $k i32) (local $ts f64) (local $ts2 f64)
    (local.set $vlo (f64x2.splat (local.get $lo)))
    (local.set $vinvh (f64x2.splat (local.get $invh)))
    (local.set $zero (v128.const i32x4 0 0 0 0))
    (local.set $vmaxc (i32x4.splat (local.get $maxc)))
    (local.set $vmaxk (i32x4.splat (local.get $maxk)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $vmn (f64x2.splat (f64.const inf)))
    (local.set $vmx (f64x2.splat (f64.const -inf)))
    ;; pairs
    (local.set $end (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $pairs_done
      (br_if $pairs_done (i32.ge_u (local.get $w) (local.get $end)))
      (loop $pairs
        (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $w))))
        ;; pmin(a, b) = b < a ? b : a: a NaN weight never replaces the running min or max
        (local.set $vmn (f64x2.pmin (local.get $vmn) (local.get $x)))
        (local.set $vmx (f64x2.pmax (local.get $vmx) (local.get $x)))
        ;; coarse cell c and its sub-cell count m_c, base_c
        (local.set $u (f64x2.mul (f64x2.sub (local.get $x) (local.get $vlo)) (local.get $vinvh)))
        (local.set $ci (i32x4.trunc_sat_f64x2_s_zero (local.get $u)))
        (local.set $ci (i32x4.min_s (i32x4.max_s (local.get $ci) (local.get $zero)) (local.get $vmaxc)))
        (local.set $cb0 (i32.add (local.get $cells) (i32.shl (i32x4.extract_lane 0 (local.get $ci)) (i32.const 4))))
        (local.set $cb1 (i32.add (local.get $cells) (i32.shl (i32x4.extract_lane 1 (local.get $ci)) (i32.const 4))))
        (local.set $u (f64x2.mul
          (f64x2.sub (local.get $u) (f64x2.convert_low_i32x4_s (local.get $ci)))
          (f64x2.replace_lane 1 (f64x2.splat (f64.load (local.get $cb0))) (f64.load (local.get $cb1)))))
        ;; sub-cell k = base_c + trunc(u), position t
        (local.set $si (i32x4.trunc_sat_f64x2_s_zero (local.get $u)))
        (local.set $t (f64x2.sub (local.get $u) (f64x2.convert_low_i32x4_s (local.get $si))))
        (local.set $si (i32x4.add (local.get $si)
          (i32x4.replace_lane 1 (i32x4.splat (i32.load offset=8 (local.get $cb0))) (i32.load offset=8 (local.get $cb1)))))
        (local.set $si (i32x4.min_s (i32x4.max_s (local.get $si) (local.get $zero)) (local.get $vmaxk)))
        (local.set $s (i32.add (local.get $pm) (i32.shl (i32x4.extract_lane 0 (local.get $si)) (i32.const 6))))
        (local.set $r (i32.add (local.get $pm) (i32.shl (i32x4.extract_lane 1 (local.get $si)) (i32.const 6))))
        ;; gradient: P0 + t (P1 + t (P2 + t P3)), each coefficient gathered into the two lanes
        (local.set $a01 (v128.load (local.get $s)))
        (local.set $a23 (v128.load offset=16 (local.get $s)))
        (local.set $b01 (v128.load (local.get $r)))
        (local.set $b23 (v128.load offset=16 (local.get $r)))
        (local.set $p (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a23) (local.get $b23)))
        (local.set $p (f64x2.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a23) (local.get $b23))
          (f64x2.mul (local.get $t) (local.get $p))))
        (local.set $p (f64x2.add (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a01) (local.get $b01))
          (f64x2.mul (local.get $t) (local.get $p))))
        (local.set $p (f64x2.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a01) (local.get $b01))
          (f64x2.mul (local.get $t) (local.get $p))))
        (v128.store64_lane 0 (local.get $g) (f32x4.demote_f64x2_zero (local.get $p)))
        ;; moments 1, t, t^2, t^3: the even weight's to pm + 64 k + 32, the odd weight's to mb + 32 k
        (local.set $t2 (f64x2.mul (local.get $t) (local.get $t)))
        (local.set $t3 (f64x2.mul (local.get $t2) (local.get $t)))
        (v128.store offset=32 (local.get $s) (f64x2.add (v128.load offset=32 (local.get $s))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $one) (local.get $t))))
        (v128.store offset=48 (local.get $s) (f64x2.add (v128.load offset=48 (local.get $s))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3))))
        (local.set $r (i32.add (local.get $mb) (i32.shl (i32x4.extract_lane 1 (local.get $si)) (i32.const 5))))
        (v128.store (local.get $r) (f64x2.add (v128.load (local.get $r))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 24 25 26 27 28 29 30 31 (local.get $one) (local.get $t))))
        (v128.store offset=16 (local.get $r) (f64x2.add (v128.load offset=16 (local.get $r))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3))))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (br_if $pairs (i32.lt_u (local.get $w) (local.get $end)))
      )
    )
    ;; the two lanes' min and max
    (local.set $mn (f64x2.extract_lane 0 (local.get $vmn)))
    (local.set $a (f64x2.extract_lane 1 (local.get $vmn)))
    (local.set $mn (select (local.get $a) (local.get $mn) (f64.lt (local.get $a) (local.get $mn))))
    (local.set $mx (f64x2.extract_lane 0 (local.get $vmx)))
    (local.set $a (f64x2.extract_lane 1 (local.get $vmx)))
    (local.set $mx (select (local.get $a) (local.get $mx) (f64.gt (local.get $a) (local.get $mx))))
    ;; the last weight of an odd count (scalar, same arithmetic)
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $a (f64.promote_f32 (f32.load (local.get $w))))
        (local.set $mn (select (local.get $a) (local.get $mn) (f64.lt (local.get $a) (local.get $mn))))
        (local.set $mx (select (local.get $a) (local.get $mx) (f64.gt (local.get $a) (local.get $mx))))
        (local.set $us (f64.mul (f64.sub (local.get $a) (local.get $lo)) (local.get $invh)))
        (local.set $c (i32.trunc_sat_f64_s (local.get $us)))
        (local.set $c (select (local.get $c) (i32.const 0) (i32.gt_s (local.get $c) (i32.const 0))))
        (local.set $c (select (local.get $c) (local.get $maxc) (i32.lt_s (local.get $c) (local.get $maxc))))
        (local.set $cb (i32.add (local.get $cells) (i32.shl (local.get $c) (i32.const 4))))
        (local.set $us (f64.mul (f64.sub (local.get $us) (f64.convert_i32_s (local.get $c))) (f64.load (local.get $cb))))
        (local.set $k (i32.trunc_sat_f64_s (local.get $us)))
        (local.set $ts (f64.sub (local.get $us) (f64.convert_i32_s (local.get $k))))
        (local.set $k (i32.add (local.get $k) (i32.load offset=8 (local.get $cb))))
        (local.set $k (select (local.get $k) (i32.const 0) (i32.gt_s (local.get $k) (i32.const 0))))
        (local.set $k (select (local.get $k) (local.get $maxk) (i32.lt_s (local.get $k) (local.get $maxk))))
        (local.set $s (i32.add (local.get $pm) (i32.shl (local.get $k) (i32.const 6))))
        (f32.store (local.get $g) (f32.demote_f64
          (f64.add (f64.load (local.get $s)) (f64.mul (local.get $ts)
            (f64.add (f64.load offset=8 (local.get $s)) (f64.mul (local.get $ts)
              (f64.add (f64.load offset=16 (local.get $s)) (f64.mul (local.get $ts) (f64.load offset=24 (local.get $s))))))))))
        (local.set $ts2 (f64.mul (local.get $ts) (local.get $ts)))
        (f64.store offset=32 (local.get $s) (f64.add (f64.load offset=32 (local.get $s)) (f64.const 1)))
        (f64.store offset=40 (local.get $s) (f64.add (f64.load offset=40 (local.get $s)) (local.get $ts)))
        (f64.store offset=48 (local.get $s) (f64.add (f64.load offset=48 (local.get $s)) (local.get $ts2)))
        (f64.store offset=56 (local.get $s) (f64.add (f64.load offset=56 (local.get $s)) (f64.mul (local.get $ts2) (local.get $ts))))
      )
    )
    (f64.store (local.get $range) (local.get $mn))
    (f64.store offset=8 (local.get $range) (local.get $mx))
  )
)
