;; Per-element passes of softweight's convolution-gradient kernels, run in place on the tfjs wasm backend's own
;; heap: the module imports that backend's memory, so tensors are addressed by their heap byte offsets and nothing
;; is copied. scripts/build-wasm.mjs compiles it twice: importing an ordinary memory (tfjs's single-threaded build)
;; and a shared one (its threaded build); the memory line below is the one it rewrites.
;; Results are the JS loops' bit for bit: a float32 sum rounded once is the same in f32 and in f64-then-f32.
(module
  (import "env" "memory" (memory $mem 1))

  ;; dst[i] += src[i] for n floats (byte offsets), four lanes at a time.
  (func $add_run (param $dst i32) (param $src i32) (param $n i32)
    (block $done4
      (loop $four
        (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
        (v128.store (local.get $dst)
          (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (f32.store (local.get $dst)
          (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $one))))

  ;; col2im, accumulating: adds the column matrix dc (one row per output pixel of images first..first+images, one
  ;; column per filter tap (r, s, channel)) onto dx [n, h, w, ci] at the input pixels the taps read. Byte offsets;
  ;; the caller zeroes dx once.
  (func (export "col2im_add")
    (param $dc i32) (param $dx i32) (param $h i32) (param $w i32) (param $ci i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
    (param $top i32) (param $left i32) (param $first i32) (param $images i32)
    (local $b i32) (local $y i32) (local $x i32) (local $r i32) (local $s i32)
    (local $ih0 i32) (local $iw0 i32) (local $ih i32) (local $iw i32) (local $xb i32) (local $xrow i32)
    (local $rowLen i32) (local $contiguous i32) (local $src i32) (local $end i32)
    (local.set $rowLen (i32.mul (local.get $kw) (local.get $ci)))
    (local.set $src (local.get $dc))
    (local.set $b (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $images)))
    (block $images_done
      (loop $image
        (br_if $images_done (i32.ge_s (local.get $b) (local.get $end)))
        ;; xb: byte offset of image b in dx
        (local.set $xb (i32.add (local.get $dx)
          (i32.shl (i32.mul (local.get $b) (i32.mul (i32.mul (local.get $h) (local.get $w)) (local.get $ci))) (i32.const 2))))
        (local.set $y (i32.const 0))
        (block $rows_done
          (loop $row
            (br_if $rows_done (i32.ge_s (local.get $y) (local.get $oh)))
            (local.set $ih0 (i32.sub (i32.mul (local.get $y) (local.get $sh)) (local.get $top)))
            (local.set $x (i32.const 0))
            (block $cols_done
              (loop $col
                (br_if $cols_done (i32.ge_s (local.get $x) (local.get $ow)))
                (local.set $iw0 (i32.sub (i32.mul (local.get $x) (local.get $sw)) (local.get $left)))
                (local.set $contiguous
                  (i32.and (i32.eq (local.get $dw) (i32.const 1))
                    (i32.and (i32.ge_s (local.get $iw0) (i32.const 0))
                      (i32.le_s (i32.add (local.get $iw0) (local.get $kw)) (local.get $w)))))
                (local.set $r (i32.const 0))
                (block $taps_done
                  (loop $tap_row
                    (br_if $taps_done (i32.ge_s (local.get $r) (local.get $kh)))
                    (local.set $ih (i32.add (local.get $ih0) (i32.mul (local.get $r) (local.get $dh))))
                    (if (i32.or (i32.lt_s (local.get $ih) (i32.const 0)) (i32.ge_s (local.get $ih) (local.get $h)))
                      (then
                        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $rowLen) (i32.const 2)))))
                      (else
                        (local.set $xrow (i32.add (local.get $xb)
                          (i32.shl (i32.mul (i32.mul (local.get $ih) (local.get $w)) (local.get $ci)) (i32.const 2))))
                        (if (local.get $contiguous)
                          (then
                            (call $add_run
                              (i32.add (local.get $xrow) (i32.shl (i32.mul (local.get $iw0) (local.get $ci)) (i32.const 2)))
                              (local.get $src) (local.get $rowLen))
                            (local.set $src (i32.add (local.get $src) (i32.shl (local.get $rowLen) (i32.const 2)))))
                          (else
                            (local.set $s (i32.const 0))
                            (block $s_done
                              (loop $tap
                                (br_if $s_done (i32.ge_s (local.get $s) (local.get $kw)))
                                (local.set $iw (i32.add (local.get $iw0) (i32.mul (local.get $s) (local.get $dw))))
                                (if (i32.and (i32.ge_s (local.get $iw) (i32.const 0)) (i32.lt_s (local.get $iw) (local.get $w)))
                                  (then
                                    (call $add_run
                                      (i32.add (local.get $xrow) (i32.shl (i32.mul (local.get $iw) (local.get $ci)) (i32.const 2)))
                                      (local.get $src) (local.get $ci))))
                                (local.set $src (i32.add (local.get $src) (i32.shl (local.get $ci) (i32.const 2))))
                                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                                (br $tap)))))))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $tap_row)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $col)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $row)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $image))))

  ;; The transposed im2col matrix of x [n, h, w, ci] for images first..first+images: one row per filter tap
  ;; (r, s, channel), one column per output pixel, zeros where a tap falls into the padding. Byte offsets.
  (func (export "im2col_t")
    (param $x i32) (param $c i32) (param $h i32) (param $w i32) (param $ci i32) (param $oh i32) (param $ow i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
    (param $top i32) (param $left i32) (param $first i32) (param $images i32)
    (local $pixels i32) (local $r i32) (local $s i32) (local $shift i32) (local $x0 i32) (local $x1 i32)
    (local $tapRow i32) (local $p i32) (local $b i32) (local $y i32) (local $ih i32) (local $k i32)
    (local $src0 i32) (local $rowStart i32) (local $dst i32) (local $src i32) (local $stop i32) (local $xStep i32)
    (local $end i32)
    (local.set $pixels (i32.mul (local.get $images) (i32.mul (local.get $oh) (local.get $ow))))
    (local.set $xStep (i32.shl (i32.mul (local.get $sw) (local.get $ci)) (i32.const 2)))
    (local.set $end (i32.add (local.get $first) (local.get $images)))
    (local.set $r (i32.const 0))
    (block $r_done
      (loop $r_loop
        (br_if $r_done (i32.ge_s (local.get $r) (local.get $kh)))
        (local.set $s (i32.const 0))
        (block $s_done
          (loop $s_loop
            (br_if $s_done (i32.ge_s (local.get $s) (local.get $kw)))
            ;; output columns x0..x1 read input column x*sw + shift inside [0, w)
            (local.set $shift (i32.sub (i32.mul (local.get $s) (local.get $dw)) (local.get $left)))
            (local.set $x0 (i32.const 0))
            (block $x0_done
              (loop $x0_loop
                (br_if $x0_done (i32.ge_s (local.get $x0) (local.get $ow)))
                (br_if $x0_done (i32.ge_s (i32.add (i32.mul (local.get $x0) (local.get $sw)) (local.get $shift)) (i32.const 0)))
                (local.set $x0 (i32.add (local.get $x0) (i32.const 1)))
                (br $x0_loop)))
            (local.set $x1 (local.get $x0))
            (block $x1_done
              (loop $x1_loop
                (br_if $x1_done (i32.ge_s (local.get $x1) (local.get $ow)))
                (br_if $x1_done (i32.ge_s (i32.add (i32.mul (local.get $x1) (local.get $sw)) (local.get $shift)) (local.get $w)))
                (local.set $x1 (i32.add (local.get $x1) (i32.const 1)))
                (br $x1_loop)))
            ;; tapRow: float index of this tap's first row in c
            (local.set $tapRow (i32.mul (i32.mul (i32.add (i32.mul (local.get $r) (local.get $kw)) (local.get $s)) (local.get $ci)) (local.get $pixels)))
            (local.set $p (i32.const 0))
            (local.set $b (local.get $first))
            (block $b_done
              (loop $b_loop
                (br_if $b_done (i32.ge_s (local.get $b) (local.get $end)))
                (local.set $y (i32.const 0))
                (block $y_done
                  (loop $y_loop
                    (br_if $y_done (i32.ge_s (local.get $y) (local.get $oh)))
                    (local.set $ih (i32.add (i32.sub (i32.mul (local.get $y) (local.get $sh)) (local.get $top)) (i32.mul (local.get $r) (local.get $dh))))
                    (local.set $k (i32.const 0))
                    (block $k_done
                      (loop $k_loop
                        (br_if $k_done (i32.ge_s (local.get $k) (local.get $ci)))
                        (local.set $rowStart (i32.add (local.get $c)
                          (i32.shl (i32.add (i32.add (local.get $tapRow) (i32.mul (local.get $k) (local.get $pixels))) (local.get $p)) (i32.const 2))))
                        (if (i32.or (i32.lt_s (local.get $ih) (i32.const 0)) (i32.ge_s (local.get $ih) (local.get $h)))
                          (then
                            (memory.fill (local.get $rowStart) (i32.const 0) (i32.shl (local.get $ow) (i32.const 2))))
                          (else
                            (memory.fill (local.get $rowStart) (i32.const 0) (i32.shl (local.get $x0) (i32.const 2)))
                            (local.set $dst (i32.add (local.get $rowStart) (i32.shl (local.get $x0) (i32.const 2))))
                            (local.set $src (i32.add (local.get $x)
                              (i32.shl
                                (i32.add
                                  (i32.mul
                                    (i32.add (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $ih)) (local.get $w))
                                      (i32.mul (local.get $x0) (local.get $sw))) (local.get $shift))
                                    (local.get $ci))
                                  (local.get $k))
                                (i32.const 2))))
                            (if (i32.eq (local.get $xStep) (i32.const 4))
                              (then
                                (memory.copy (local.get $dst) (local.get $src)
                                  (i32.shl (i32.sub (local.get $x1) (local.get $x0)) (i32.const 2))))
                              (else
                                (local.set $stop (i32.add (local.get $rowStart) (i32.shl (local.get $x1) (i32.const 2))))
                                (block $copy_done
                                  (loop $copy
                                    (br_if $copy_done (i32.ge_u (local.get $dst) (local.get $stop)))
                                    (f32.store (local.get $dst) (f32.load (local.get $src)))
                                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                                    (local.set $src (i32.add (local.get $src) (local.get $xStep)))
                                    (br $copy)))))
                            (memory.fill
                              (i32.add (local.get $rowStart) (i32.shl (local.get $x1) (i32.const 2)))
                              (i32.const 0)
                              (i32.shl (i32.sub (local.get $ow) (local.get $x1)) (i32.const 2)))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $k_loop)))
                    (local.set $p (i32.add (local.get $p) (local.get $ow)))
                    (local.set $y (i32.add (local.get $y) (i32.const 1)))
                    (br $y_loop)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $b_loop)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $s_loop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $r_loop))))
  ;; MaxPoolGrad, 2x2 windows, stride 2, no padding: dy goes to the first maximum of its window (row-major order,
  ;; strictly greater replaces), zeros to the other three, four channels at a time. Byte offsets; writes every
  ;; element of the 2*oh x 2*ow region of each image (the caller zeroes dx beyond it).
  (func (export "max_pool_grad_2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32) (param $ch i32)
    (param $oh i32) (param $ow i32)
    (local $row i32) (local $b i32) (local $y i32) (local $xx i32) (local $k i32) (local $o00 i32) (local $d00 i32)
    (local $dyAt i32) (local $v v128) (local $v01 v128) (local $v10 v128) (local $v11 v128)
    (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g v128) (local $s f32) (local $at i32)
    (local $vecEnd i32)
    (local.set $row (i32.shl (i32.mul (local.get $w) (local.get $ch)) (i32.const 2)))
    (local.set $vecEnd (i32.and (local.get $ch) (i32.const -4)))
    (local.set $dyAt (local.get $dy))
    (local.set $b (i32.const 0))
    (block $b_done
      (loop $b_loop
        (br_if $b_done (i32.ge_s (local.get $b) (local.get $n)))
        (local.set $y (i32.const 0))
        (block $y_done
          (loop $y_loop
            (br_if $y_done (i32.ge_s (local.get $y) (local.get $oh)))
            ;; byte offset of the window's top-left element, relative to x (and to dx)
            (local.set $o00 (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.shl (local.get $y) (i32.const 1))) (local.get $row)))
            (local.set $xx (i32.const 0))
            (block $x_done
              (loop $x_loop
                (br_if $x_done (i32.ge_s (local.get $xx) (local.get $ow)))
                (local.set $k (i32.const 0))
                (block $vec_done
                  (loop $vec
                    (br_if $vec_done (i32.ge_s (local.get $k) (local.get $vecEnd)))
                    (local.set $at (i32.add (local.get $o00) (i32.shl (local.get $k) (i32.const 2))))
                    (local.set $v (v128.load (i32.add (local.get $x) (local.get $at))))
                    (local.set $v01 (v128.load (i32.add (i32.add (local.get $x) (local.get $at)) (i32.shl (local.get $ch) (i32.const 2)))))
                    (local.set $v10 (v128.load (i32.add (i32.add (local.get $x) (local.get $at)) (local.get $row))))
                    (local.set $v11 (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $at)) (local.get $row)) (i32.shl (local.get $ch) (i32.const 2)))))
                    (local.set $g1 (f32x4.gt (local.get $v01) (local.get $v)))
                    (local.set $v (v128.bitselect (local.get $v01) (local.get $v) (local.get $g1)))
                    (local.set $g2 (f32x4.gt (local.get $v10) (local.get $v)))
                    (local.set $v (v128.bitselect (local.get $v10) (local.get $v) (local.get $g2)))
                    (local.set $g3 (f32x4.gt (local.get $v11) (local.get $v)))
                    (local.set $g (v128.load (i32.add (local.get $dyAt) (i32.shl (local.get $k) (i32.const 2)))))
                    (local.set $d00 (i32.add (local.get $dx) (local.get $at)))
                    ;; winners: 11 if g3; 10 if g2 and not g3; 01 if g1 and not (g2 or g3); 00 otherwise
                    (v128.store (i32.add (i32.add (local.get $d00) (local.get $row)) (i32.shl (local.get $ch) (i32.const 2)))
                      (v128.and (local.get $g) (local.get $g3)))
                    (v128.store (i32.add (local.get $d00) (local.get $row))
                      (v128.and (local.get $g) (v128.andnot (local.get $g2) (local.get $g3))))
                    (v128.store (i32.add (local.get $d00) (i32.shl (local.get $ch) (i32.const 2)))
                      (v128.and (local.get $g) (v128.andnot (local.get $g1) (v128.or (local.get $g2) (local.get $g3)))))
                    (v128.store (local.get $d00)
                      (v128.andnot (local.get $g) (v128.or (local.get $g1) (v128.or (local.get $g2) (local.get $g3)))))
                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                    (br $vec)))
                (block $tail_done
                  (loop $tail
                    (br_if $tail_done (i32.ge_s (local.get $k) (local.get $ch)))
                    (local.set $at (i32.add (local.get $o00) (i32.shl (local.get $k) (i32.const 2))))
                    (local.set $d00 (i32.add (local.get $dx) (local.get $at)))
                    (local.set $s (f32.load (i32.add (local.get $dyAt) (i32.shl (local.get $k) (i32.const 2)))))
                    (call $max2x2_one
                      (i32.add (local.get $x) (local.get $at)) (local.get $d00)
                      (i32.shl (local.get $ch) (i32.const 2)) (local.get $row) (local.get $s))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $tail)))
                (local.set $dyAt (i32.add (local.get $dyAt) (i32.shl (local.get $ch) (i32.const 2))))
                (local.set $o00 (i32.add (local.get $o00) (i32.shl (local.get $ch) (i32.const 3))))
                (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
                (br $x_loop)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $y_loop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $b_loop))))

  ;; One channel of one 2x2 window: `s` to the first maximum at xp (+col, +row, +row+col bytes), zeros elsewhere.
  (func $max2x2_one (param $xp i32) (param $dp i32) (param $col i32) (param $row i32) (param $s f32)
    (local $v f32) (local $best i32)
    (local.set $v (f32.load (local.get $xp)))
    (if (f32.gt (f32.load (i32.add (local.get $xp) (local.get $col))) (local.get $v))
      (then
        (local.set $v (f32.load (i32.add (local.get $xp) (local.get $col))))
        (local.set $best (local.get $col))))
    (if (f32.gt (f32.load (i32.add (local.get $xp) (local.get $row))) (local.get $v))
      (then
        (local.set $v (f32.load (i32.add (local.get $xp) (local.get $row))))
        (local.set $best (local.get $row))))
    (if (f32.gt (f32.load (i32.add (i32.add (local.get $xp) (local.get $row)) (local.get $col))) (local.get $v))
      (then (local.set $best (i32.add (local.get $row) (local.get $col)))))
    (f32.store (local.get $dp) (f32.const 0))
    (f32.store (i32.add (local.get $dp) (local.get $col)) (f32.const 0))
    (f32.store (i32.add (local.get $dp) (local.get $row)) (f32.const 0))
    (f32.store (i32.add (i32.add (local.get $dp) (local.get $row)) (local.get $col)) (f32.const 0))
    (f32.store (i32.add (local.get $dp) (local.get $best)) (local.get $s)))
)
