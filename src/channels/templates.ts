import { Liquid, type Template } from 'liquidjs';

/**
 * Message templates are Liquid (liquidjs). Publishing checks every variable a template reads against what exists, so
 * a template that names a variable no customer has fails then, not at send time; rendering then reads a value a
 * customer lacks (no stage yet, a trait not set) as empty, which `| default:` can fill.
 *
 * What a template may read:
 * - `customer`: the profile fields below, `customer.attributes.<name>` (any computed attribute) and
 *   `customer.traits.<key>` (free-form traits);
 * - `recommendations`: the customer's list as the API serves it (`sku`, `name`, `category`, `price`, `reason`);
 * - `context`: what the journey carries (the trigger event's properties, codes issued by earlier steps);
 * - `journey` (`id`, `name`) and `unsubscribe_url`.
 */
export const CUSTOMER_FIELDS = ['id', 'name', 'city', 'gender', 'birthday', 'channel', 'stage', 'tier', 'rfm_class', 'cluster', 'clv_12m', 'p_alive', 'churn_risk', 'attributes', 'traits'] as const;
const ROOTS = new Set(['customer', 'recommendations', 'context', 'journey', 'unsubscribe_url']);

const engine = new Liquid({ strictFilters: true, ownPropertyOnly: true });
// Parsing on every render costs more than rendering; a journey has few templates, sent many times.
const parsed = new Map<string, Template[]>();

function parse(source: string): Template[] {
  let templates = parsed.get(source);
  if (!templates) {
    templates = engine.parse(source);
    if (parsed.size > 1000) parsed.clear();
    parsed.set(source, templates);
  }
  return templates;
}

/** The problems with a template: syntax errors, unknown filters, and variables that do not exist (`attributes`: the attribute names). */
export function checkTemplate(source: string, attributes: ReadonlySet<string>): string[] {
  let templates: Template[];
  try {
    templates = parse(source);
  } catch (error) {
    return [`not a valid template: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  for (const segments of engine.globalVariableSegmentsSync(templates)) {
    const [root, field, key] = segments.map(String);
    const shown = segments.map((s) => (typeof s === 'number' ? `[${s}]` : String(s))).join('.').replaceAll('.[', '[');
    if (!ROOTS.has(root!)) problems.push(`unknown variable ${shown}: a template reads ${[...ROOTS].join(', ')}`);
    else if (root === 'customer' && field !== undefined && !(CUSTOMER_FIELDS as readonly string[]).includes(field)) problems.push(`unknown variable ${shown}: customer has ${CUSTOMER_FIELDS.join(', ')}`);
    else if (root === 'customer' && field === 'attributes' && key !== undefined && !attributes.has(key)) problems.push(`unknown attribute ${shown} (siyu attributes list)`);
    else if (root === 'journey' && field !== undefined && field !== 'id' && field !== 'name') problems.push(`unknown variable ${shown}: journey has id and name`);
  }
  return [...new Set(problems)];
}

/** Whether a template reads the customer's recommendations (loading them costs a query per customer). */
export function readsRecommendations(source: string): boolean {
  return engine.globalVariableSegmentsSync(parse(source)).some((segments) => segments[0] === 'recommendations');
}

/** Renders a template with `variables`; a variable a customer lacks renders empty. */
export function renderTemplate(source: string, variables: Record<string, unknown>): string {
  return engine.renderSync(parse(source), variables);
}
