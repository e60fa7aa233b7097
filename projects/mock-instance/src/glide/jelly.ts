/**
 * Rendering a UI page's Jelly for what front-end apps put in it — and nothing else, never with a
 * script engine:
 * - the `<j:jelly>` wrapper (its `trim="true"` trims the output);
 * - `<g:evaluate var="jvar_x">expression</g:evaluate>` (or `expression="..."`), then `${jvar_x}`;
 * - `$[expression]` and `${expression}`, where an expression is one of {@link EXPRESSIONS}, a
 *   `jvar_` variable, a quoted string, or several of those joined by `||` (the first non-empty);
 * - `$[AMP]`, `$[SP]` (and `${...}` forms): `&` and a space.
 * Anything else — another Jelly or Glide tag (`<g:requires>`, `<g2:client_script>`, ...), another
 * expression — is a {@link JellyError} naming it: the page is answered with an error page, never
 * with raw `$[...]` in it.
 */

import { escapeMarkup } from '../http/responses';

/** What the expressions read: the session and the instance. */
export interface JellyContext {
  readonly sessionToken: string;
  readonly userName: string;
  readonly userSysId: string;
  readonly userDisplayName: string;
  /** What `UxFrameworkScriptables.getFlushTimestamp()` answers (a cache buster). */
  readonly flushTimestamp: number;
}

export class JellyError extends Error {}

/** The expressions understood, as written in pages. */
export const EXPRESSIONS: Readonly<Record<string, (c: JellyContext) => string>> = {
  'gs.getSessionToken()': (c) => c.sessionToken,
  'gs.getSession().getSessionToken()': (c) => c.sessionToken,
  'gs.getUserName()': (c) => c.userName,
  'gs.getUserID()': (c) => c.userSysId,
  'gs.getUserDisplayName()': (c) => c.userDisplayName,
  'UxFrameworkScriptables.getFlushTimestamp()': (c) => String(c.flushTimestamp),
};

const SPECIAL: Readonly<Record<string, string>> = { AMP: '&', SP: ' ' };

export function renderJelly(html: string, context: JellyContext): string {
  let body = html.trim();
  let trim = false;
  const wrapper = /^<j:jelly\b([^>]*)>([\s\S]*)<\/j:jelly>$/.exec(body);
  if (wrapper) {
    trim = /\btrim\s*=\s*"true"/.test(wrapper[1]);
    body = wrapper[2];
  }
  const variables = new Map<string, string>();
  body = body.replace(
    /<g:evaluate\b([^>]*?)(?:\/>|>([\s\S]*?)<\/g:evaluate>)/g,
    (_all, attributes: string, inner: string | undefined) => {
      const name = /\bvar\s*=\s*"(jvar_[A-Za-z0-9_]+)"/.exec(attributes)?.[1];
      const expression = inner ?? /\bexpression\s*=\s*"([^"]*)"/.exec(attributes)?.[1];
      if (!name || expression === undefined) {
        throw new JellyError(`<g:evaluate${attributes}> needs var="jvar_..." and an expression`);
      }
      variables.set(name, evaluate(expression.trim().replace(/;$/, ''), context, variables));
      return '';
    },
  );
  const tag = /<\/?((?:j|g|j2|g2|sdk):[A-Za-z_-]+)/.exec(body);
  if (tag) {
    throw new JellyError(`the tag <${tag[1]}> is not rendered by this mock instance`);
  }
  body = body.replace(/\$\[([^\]]*)\]|\$\{([^}]*)\}/g, (_all, phase2?: string, phase1?: string) => {
    const expression = (phase2 ?? phase1 ?? '').trim();
    return Object.hasOwn(SPECIAL, expression)
      ? SPECIAL[expression]
      : escapeMarkup(evaluate(expression, context, variables));
  });
  return trim ? body.trim() : body;
}

function evaluate(
  expression: string,
  context: JellyContext,
  variables: Map<string, string>,
): string {
  for (const term of expression.split('||').map((t) => t.trim())) {
    const value = evaluateTerm(term, context, variables);
    if (value !== '') {
      return value;
    }
  }
  return '';
}

function evaluateTerm(term: string, context: JellyContext, variables: Map<string, string>): string {
  if (Object.hasOwn(EXPRESSIONS, term)) {
    return EXPRESSIONS[term](context);
  }
  if (variables.has(term)) {
    return variables.get(term)!;
  }
  const quoted = /^(["'])([^"'\\]*)\1$/.exec(term);
  if (quoted) {
    return quoted[2];
  }
  throw new JellyError(`the expression "${term}" is not evaluated by this mock instance`);
}
