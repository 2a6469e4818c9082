import { describe, expect, it } from 'vitest';
import { canonicalPaperId, isArxivId } from '../../src/domain/paper-id.ts';

describe('canonicalPaperId', () => {
  it.each([
    ['2407.21783', '2407.21783'],
    ['2404.01300v2', '2404.01300'],
    ['  2404.01300V12 ', '2404.01300'],
    ['0704.0001', '0704.0001'],
    ['https://arxiv.org/abs/2404.01300v2', '2404.01300'],
    ['https://arxiv.org/pdf/2404.01300v1.pdf', '2404.01300'],
    ['http://export.arxiv.org/abs/2407.21783/', '2407.21783'],
    ['10.48550/arXiv.2404.01300', '2404.01300'],
    ['https://doi.org/10.48550/arXiv.2407.21783', '2407.21783'],
    ['arXiv:2407.21783v3', '2407.21783'],
    ['hep-th/9901001', 'hep-th/9901001'],
    ['hep-th/9901001v2', 'hep-th/9901001'],
    ['cs.CL/0101001', 'cs.CL/0101001'],
    ['https://arxiv.org/abs/math.GT/0309136v1', 'math.GT/0309136'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalPaperId(input)).toBe(expected);
    expect(isArxivId(canonicalPaperId(input))).toBe(true);
  });

  it.each([['not-an-id'], ['2404.013'], ['https://example.org/abs/2404.01300'], ['10.1145/3442188.3445922']])(
    'keeps %s apart under an explicit prefix instead of guessing',
    (input) => {
      expect(canonicalPaperId(input)).toBe(`other:${input}`);
      expect(isArxivId(canonicalPaperId(input))).toBe(false);
      // Canonical ids read back as themselves: the API's and the dashboard's paper URLs hold them.
      expect(canonicalPaperId(canonicalPaperId(input))).toBe(canonicalPaperId(input));
    },
  );
});
