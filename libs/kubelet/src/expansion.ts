/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion), used by the kubelet for
 * container env values, command and args. Pure.
 *
 *   $(NAME)   -> mapping(NAME): the variable's value when defined, else `$(NAME)` unchanged
 *   $$        -> $            (so `$$(NAME)` is the literal `$(NAME)`)
 *   $( ...    -> kept as is when no `)` follows (unterminated reference)
 *   $x        -> kept as is for any other character x, and a `$` at the very end is kept
 *
 * A reference ends at the first `)`, so `$(A$(B))` looks up the name `A$(B`. Values are not
 * expanded again (a value `$(X)` stays `$(X)`). There is no `${NAME}` or bare `$NAME` syntax.
 */

/** Resolves a variable name to its value; returns `$(name)` when it is not defined. */
export type ExpansionMapping = (name: string) => string;

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/**
 * A mapping over several sources, looked up in order (the first that defines the name wins);
 * an undefined name maps to the reference itself, `$(name)` (Kubernetes' MappingFuncFor).
 */
export function mappingFor(...sources: ReadonlyArray<ReadonlyMap<string, string> | Readonly<Record<string, string>>>): ExpansionMapping {
  return (name) => {
    for (const source of sources) {
      if (source instanceof Map) {
        const value = source.get(name);
        if (value !== undefined) return value;
      } else if (Object.prototype.hasOwnProperty.call(source, name)) {
        return (source as Readonly<Record<string, string>>)[name];
      }
    }
    return `${OPERATOR}${OPENER}${name}${CLOSER}`;
  };
}

/** Expands every `$(NAME)` reference of `input` through `mapping`, with the rules in the header. */
export function expand(input: string, mapping: ExpansionMapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { text, isVariable, advance } = readVariableName(input, cursor + 1);
    out += isVariable ? mapping(text) : text;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * Reads what follows a `$` at `start`: an escaped `$`, a `(NAME)` reference, or neither. Returns
 * the text to write (the name when `isVariable`) and how many characters were consumed.
 */
function readVariableName(input: string, start: number): { text: string; isVariable: boolean; advance: number } {
  const first = input[start];
  if (first === OPERATOR) return { text: OPERATOR, isVariable: false, advance: 1 };
  if (first === OPENER) {
    const close = input.indexOf(CLOSER, start + 1);
    if (close >= 0) return { text: input.slice(start + 1, close), isVariable: true, advance: close - start + 1 };
    return { text: `${OPERATOR}${OPENER}`, isVariable: false, advance: 1 };
  }
  return { text: `${OPERATOR}${first}`, isVariable: false, advance: 1 };
}
