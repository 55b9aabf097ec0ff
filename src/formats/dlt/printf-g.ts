/**
 * C's printf("%g") for finite doubles, as glibc prints it: exact decimal expansion of the binary
 * value, rounded half-to-even to `precision` significant digits, then fixed or exponential
 * notation by the C rule, trailing zeros removed. dlt-convert prints floats this way; JS's
 * toPrecision differs on exact ties (it rounds half up) and on notation, hence this file.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Word order of a double in the Uint32Array view: low word first on a little-endian host.
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const LOW = HOST_LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;

/** printf("%.{precision}g", value) for any double, "nan"/"inf" included (sign of NaN: +). */
export function printfG(value: number, precision = 6): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const negative = value < 0;
  const p = Math.max(precision, 1);
  const { digits, exponent } = fastDigits(Math.abs(value), p) ?? roundedDigits(Math.abs(value), p);
  let text: string;
  if (exponent < -4 || exponent >= p) {
    const mantissa = stripZeros(digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits);
    const sign = exponent < 0 ? '-' : '+';
    text = `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent >= 0) {
    const intPart = digits.slice(0, exponent + 1);
    text = stripZeros(`${intPart}.${digits.slice(exponent + 1)}`);
  } else {
    text = stripZeros(`0.${'0'.repeat(-exponent - 1)}${digits}`);
  }
  return negative ? `-${text}` : text;
}

/**
 * JS's toExponential rounds correctly except on exact ties, where it rounds half up; a tie
 * needs x to be exactly a decimal of count + 1 digits ending in 5. Such x (and only those, plus
 * a few look-alikes) take the exact path; undefined sends them there.
 */
function fastDigits(x: number, count: number): { digits: string; exponent: number } | undefined {
  if (count > 20) return undefined;
  const longer = x.toExponential(count);
  const mark = longer.indexOf('e');
  if (longer.charCodeAt(mark - 1) === 53 /* '5' */ && Number(longer) === x) return undefined;
  const text = x.toExponential(count - 1);
  const e = text.indexOf('e');
  const digits = count === 1 ? text.slice(0, 1) : text.slice(0, 1) + text.slice(2, e);
  return { digits, exponent: Number(text.slice(e + 1)) };
}

/**
 * The first `count` significant decimal digits of `x` (> 0, finite), rounded half-to-even on
 * the exact binary value, and the decimal exponent of the first digit.
 */
function roundedDigits(x: number, count: number): { digits: string; exponent: number } {
  f64[0] = x;
  const high = u32[HIGH]!;
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(u32[LOW]!);
  let e2: number;
  if (biased === 0) {
    e2 = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    e2 = biased - 1075;
  }
  // x = mantissa * 2^e2 = N * 10^k exactly
  const exact = e2 >= 0 ? (mantissa << BigInt(e2)).toString() : (mantissa * 5n ** BigInt(-e2)).toString();
  const k = e2 >= 0 ? 0 : e2;
  let exponent = exact.length - 1 + k;
  if (exact.length <= count) return { digits: exact.padEnd(count, '0'), exponent };
  let head = exact.slice(0, count);
  const rest = exact.slice(count);
  const firstRest = rest.charCodeAt(0) - 48;
  const restIsHalf = firstRest === 5 && /^50*$/.test(rest);
  const roundUp = firstRest > 5 || (firstRest === 5 && !restIsHalf) ||
    (restIsHalf && (head.charCodeAt(count - 1) - 48) % 2 === 1);
  if (roundUp) {
    const bumped = (BigInt(head) + 1n).toString();
    if (bumped.length > count) {
      exponent += 1;
      head = bumped.slice(0, count);
    } else {
      head = bumped;
    }
  }
  return { digits: head, exponent };
}

function stripZeros(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}
