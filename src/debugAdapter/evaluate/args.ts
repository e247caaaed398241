import { HyperFrameError } from '../../util/errors';

export interface ParsedArgs {
  positionals: string[];
  /** A value, several (an option in `multiple` given more than once), or true for a flag. */
  options: Map<string, string | string[] | true>;
}

/**
 * Splits a Debug Console command's arguments: words separated by spaces, `--name value` options
 * (`--name=value` too) and `--flag` booleans. Each word is one expression, so `$cr3+0x10` works
 * where `$cr3 + 0x10` would be three words.
 */
export function parseArgs(command: string, rest: string, valued: readonly string[], flags: readonly string[] = [], multiple: readonly string[] = []): ParsedArgs {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  const positionals: string[] = [];
  const options = new Map<string, string | string[] | true>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!w.startsWith('--')) {
      positionals.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = w.slice(2, eq > 0 ? eq : undefined);
    if (flags.includes(name)) {
      options.set(name, true);
    } else if (valued.includes(name)) {
      const value = eq > 0 ? w.slice(eq + 1) : words[++i];
      if (value === undefined) throw new HyperFrameError('BAD_ARGUMENT', `${command}: --${name} needs a value`);
      const before = options.get(name);
      if (multiple.includes(name)) options.set(name, [...(Array.isArray(before) ? before : []), value]);
      else options.set(name, value);
    } else {
      const known = [...valued, ...flags].map((o) => `--${o}`).join(' ');
      throw new HyperFrameError('BAD_ARGUMENT', `${command}: unknown option '${w}'${known ? ` (it takes ${known})` : ''}`);
    }
  }
  return { positionals, options };
}

export function optionText(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}
