import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, csvRecords } from './csv.js';

const all = (text: string) => [...csvRecords(text)].map((r) => [r.line, r.fields]);

describe('csvRecords', () => {
  it.each([
    [
      'plain LF',
      'a,b\n1,2\n',
      [
        [1, ['a', 'b']],
        [2, ['1', '2']],
      ],
    ],
    [
      'CRLF, no final newline',
      'a,b\r\n1,2',
      [
        [1, ['a', 'b']],
        [2, ['1', '2']],
      ],
    ],
    [
      'quoted with comma and doubled quote',
      '"a","b"\n"x,y","say ""hi"""\n',
      [
        [1, ['a', 'b']],
        [2, ['x,y', 'say "hi"']],
      ],
    ],
    [
      'line break inside quotes keeps the next line number right',
      'a\n"x\ny"\nz\n',
      [
        [1, ['a']],
        [2, ['x\ny']],
        [4, ['z']],
      ],
    ],
    [
      'empty fields',
      ',\n,,\n',
      [
        [1, ['', '']],
        [2, ['', '', '']],
      ],
    ],
    [
      'blank lines skipped, still counted',
      'a\n\nb\n',
      [
        [1, ['a']],
        [3, ['b']],
      ],
    ],
    [
      'byte order mark',
      '\ufeffdate\n1\n',
      [
        [1, ['date']],
        [2, ['1']],
      ],
    ],
  ])('%s', (_, text, expected) => {
    expect(all(text)).toEqual(expected);
  });

  it.each([
    ['unclosed quote', 'a\n"x\n', 2, 'a quoted field is not closed'],
    ['text after a quote', 'a\n"x"y\n', 2, 'text after a closing quote'],
  ])('%s is an error naming its line', (_, text, line, message) => {
    try {
      all(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CsvSyntaxError);
      expect([(err as CsvSyntaxError).line, (err as Error).message]).toEqual([line, message]);
    }
  });
});
