/**
 * Normalisation of inbound texts for keyword matching, and the built-in phrases. Handlers are
 * registered in registry.ts; the normalisation below applies to every registered pattern.
 *
 * Keyword commands texted to the federal number (seeds 000/001): `CLIENT info`, `CLIENT sms stop`,
 * `CLIENT sms start`, in any letter case. Anything else is not a command (seed 000: such texts are
 * "not included in processing" and get no reply), so the grammar is exact: no extra words, no
 * punctuation, no missing spaces. Only the spacing and the look of the letters are forgiven:
 *
 * - Whitespace of any kind and amount (spaces, tabs, line breaks, NBSP U+00A0) around and
 *   between words; invisible zero-width characters from copy-paste are dropped.
 * - Unicode compatibility forms (NFKC): fullwidth `ＣＬＩＥＮＴ` from CJK keyboards, ligatures.
 * - Cyrillic letters that look like Latin ones (`С` U+0421, `Т` U+0422, `Е`, `О`, `Р`, `М`, `А`,
 *   `і` …) are folded to Latin. Russian phones switch keyboard layouts per word, so `CLIENT` typed
 *   on a Russian layout, or corrected by a Russian autocorrect, arrives as `СLIЕNТ` and looks
 *   identical on the customer's screen; refusing it would be a silent failure they cannot see.
 *   The fold only matters for the three exact phrases, so it cannot turn a non-command into one
 *   that the customer did not visibly type. (Such texts arrive as UCS2; GSM-7 has no Cyrillic.)
 */

export type ParsedCommand = { kind: 'info' } | { kind: 'sms-stop' } | { kind: 'sms-start' };

/** The canonical wording of each command, as stored in InboxEntry.command. */
export const COMMAND_NAMES: Readonly<Record<ParsedCommand['kind'], string>> = {
  info: 'info',
  'sms-stop': 'sms stop',
  'sms-start': 'sms start',
};

// Cyrillic (and Ukrainian/Belarusian/Macedonian) letters drawn like Latin ones, both cases.
const CYRILLIC_HOMOGLYPHS: Readonly<Record<string, string>> = {
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', У: 'Y',
  І: 'I', Ј: 'J', Ѕ: 'S',
  а: 'a', е: 'e', к: 'k', м: 'm', о: 'o', р: 'p', с: 'c', т: 't', х: 'x', у: 'y', і: 'i', ј: 'j', ѕ: 's',
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(CYRILLIC_HOMOGLYPHS).join('')}]`, 'g');
// Invisible characters phones and copy-paste insert: ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen.
const INVISIBLE_RE = /[\u200b-\u200d\u2060\ufeff\u00ad]/g;

/**
 * The comparable form of a text: NFKC, invisible characters removed, homoglyphs folded, lower
 * case, words separated by single spaces. Invisible characters separate nothing: `CLIENT\u200binfo`
 * shows as `CLIENTinfo` on screen and is refused like it.
 */
export function normalizeCommandText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(INVISIBLE_RE, '')
    .replace(HOMOGLYPH_RE, (c) => CYRILLIC_HOMOGLYPHS[c])
    .toLowerCase()
    .trim()
    .split(/\s+/u)
    .join(' ');
}

/** The phrase of each built-in command; client-commands.ts registers them (one source of truth). */
export const COMMAND_PHRASES: Readonly<Record<ParsedCommand['kind'], string>> = {
  info: 'CLIENT info',
  'sms-stop': 'CLIENT sms stop',
  'sms-start': 'CLIENT sms start',
};

const COMMANDS: ReadonlyMap<string, ParsedCommand['kind']> = new Map(
  (Object.entries(COMMAND_PHRASES) as [ParsedCommand['kind'], string][]).map(([kind, phrase]) => [normalizeCommandText(phrase), kind]),
);

/** The built-in command in an inbound text, or undefined when the text is not exactly one of them. */
export function parseCommand(text: string): ParsedCommand | undefined {
  const kind = COMMANDS.get(normalizeCommandText(text));
  return kind ? { kind } : undefined;
}

/**
 * The words of a text as typed (NFKC, invisible characters dropped, split on whitespace), for
 * command arguments whose case matters. Aligned word for word with normalizeCommandText.
 */
export function typedWords(text: string): string[] {
  const t = text.normalize('NFKC').replace(INVISIBLE_RE, '').trim();
  return t === '' ? [] : t.split(/\s+/u);
}
