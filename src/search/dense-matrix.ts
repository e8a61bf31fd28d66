/**
 * The little dense linear algebra the width model needs: symmetric positive-definite matrices of a
 * few dozen rows (one per model coefficient), stored row-major in plain arrays. Small enough that
 * clarity beats speed; no dependency for it.
 */

/** A square matrix, row-major: `m[i][j]`. */
export type Matrix = number[][];

export function zeros(n: number): Matrix {
  return Array.from({ length: n }, () => new Array<number>(n).fill(0));
}

/**
 * The lower-triangular Cholesky factor L of a symmetric positive-definite `a` (a = L L^T).
 * Throws when `a` is not positive definite (a model whose prior precision is positive never is).
 */
export function cholesky(a: Matrix): Matrix {
  const n = a.length;
  const l = zeros(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`cholesky: matrix not positive definite at row ${i}`);
        l[i][i] = Math.sqrt(s);
      } else {
        l[i][j] = s / l[j][j];
      }
    }
  }
  return l;
}

/** Solves L x = b for lower-triangular L. */
export function solveLower(l: Matrix, b: readonly number[]): number[] {
  const x = new Array<number>(b.length);
  for (let i = 0; i < b.length; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

/** Solves L^T x = b for lower-triangular L. */
export function solveUpperT(l: Matrix, b: readonly number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

/** Solves (L L^T) x = b. */
export function cholSolve(l: Matrix, b: readonly number[]): number[] {
  return solveUpperT(l, solveLower(l, b));
}

/** log det(L L^T). */
export function cholLogDet(l: Matrix): number {
  let s = 0;
  for (let i = 0; i < l.length; i++) s += 2 * Math.log(l[i][i]);
  return s;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
