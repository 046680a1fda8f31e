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
;; floor(u) is round-to-nearest(u - 0.5) by adding 1.5 * 2^52 (V8's float-to-int conversions cost 3x this
;; whole loop): exact for 0 <= u < 2^31 except at integer u, where it may give k = u - 1 and t = 1, the same
;; point of the same cubic. The clamp keeps every access inside the tables; a weight outside [lo, hi] makes
;; the caller discard the result (it checks `range`).
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
)
