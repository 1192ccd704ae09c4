// Splits an exec probe's `command` into argv without a shell: whitespace
// separates words, single quotes are literal, double quotes group and honour
// backslash escapes of `"` and `\`. Pure.

/**
 * Tokenises a command line; `null` on an unterminated quote.
 *
 * @example splitCommand(`check-disk '/var/lib/my dir'`) // ['check-disk', '/var/lib/my dir']
 */
export function splitCommand(command: string): string[] | null {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (command[i + 1] === '"' || command[i + 1] === '\\'))
        word += command[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) return null;
  if (inWord) out.push(word);
  return out;
}
