// Prices: the console shows yuan and the server stores fen. parseYuan reads what an operator
// typed ("12.5", "12.50", "120") into whole fen without floating point, and names what is wrong
// otherwise: empty, format (not a number), negative, precision (more than two decimals) or
// tooLarge (above MAX_FEN, the server's limit).
export const MAX_FEN = 100000000;

export function parseYuan(text) {
  const s = String(text ?? '').trim();
  if (!s) return { error: 'empty' };
  if (/^-/.test(s)) return { error: /^-\s*0*(\.0*)?$/.test(s) ? 'format' : 'negative' };
  const m = /^([0-9]+)(?:\.([0-9]*))?$/.exec(s);
  if (!m) return { error: 'format' };
  const frac = m[2] ?? '';
  if (frac.length > 2 && /[1-9]/.test(frac.slice(2))) return { error: 'precision' };
  const whole = m[1].replace(/^0+(?=.)/, '');
  if (whole.length > 7) return { error: 'tooLarge' };
  const fen = Number(whole) * 100 + Number((frac.slice(0, 2) + '00').slice(0, 2));
  if (fen > MAX_FEN) return { error: 'tooLarge' };
  return { fen };
}

// 1250 → "12.50" (what the input shows), and with the sign for tables: "¥12.50".
export const fenToYuan = (fen) => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
