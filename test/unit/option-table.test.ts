import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/core/errors.js';
import { checkNumbers, rangeText, type NumberSpec } from '../../src/core/option-table.js';

const n = (spec: Partial<NumberSpec>): NumberSpec => ({ type: 'number', describe: '', ...spec });

test('a number option\'s range in words, as help and errors say it', () => {
  const cases: [Partial<NumberSpec>, string][] = [
    [{ integer: true, min: 1 }, 'a positive integer'],
    [{ integer: true, min: 0, unit: 'steps' }, '0 or a positive integer (steps)'],
    [{ integer: true, min: 2 }, 'an integer of at least 2'],
    [{ integer: true }, 'an integer'],
    [{ integer: true, min: 1, max: 65535 }, 'an integer from 1 to 65535'],
    [{ above: 0 }, 'a positive number'],
    [{ min: 0 }, 'a non-negative number'],
    [{ min: 0, below: 1 }, 'a number in [0, 1)'],
    [{ above: 0, max: 1 }, 'a number in (0, 1]'],
  ];
  for (const [spec, words] of cases) assert.equal(rangeText(n(spec)), words, JSON.stringify(spec));
});

test('checkNumbers refuses what is outside the range, NaN and infinities, and lets absent options be', () => {
  const table = { port: n({ integer: true, min: 1, max: 65535 }), ratio: n({ above: 0, max: 1 }) };
  assert.doesNotThrow(() => checkNumbers(table, { port: 8080, ratio: 1 }));
  assert.doesNotThrow(() => checkNumbers(table, {}));
  for (const [values, message] of [
    [{ port: 0 }, '--port: expected an integer from 1 to 65535, found 0'],
    [{ port: 65536 }, '--port: expected an integer from 1 to 65535, found 65536'],
    [{ port: 80.5 }, '--port: expected an integer from 1 to 65535, found 80.5'],
    [{ ratio: 0 }, '--ratio: expected a number in (0, 1], found 0'],
    [{ ratio: NaN }, '--ratio: expected a number in (0, 1], found NaN'],
    [{ ratio: Infinity }, '--ratio: expected a number in (0, 1], found Infinity'],
    [{ ratio: '0.5' }, '--ratio: expected a number in (0, 1], found 0.5'],
  ] as const) {
    assert.throws(() => checkNumbers(table, values), (e: Error) => e instanceof UsageError && e.message === message, message);
  }
});
