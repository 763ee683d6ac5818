import type { FormInstance } from 'antd';

// No import of the API client here: the editors' tests run this in Node.

/** A problem as an API error lists it (ApiErrorDetail). */
interface Problem {
  path?: string;
  message: string;
}

/** A form field's name, as antd writes it: ['rule', 'offFen'], ['tiers', 1, 'threshold']. */
export type FieldName = (string | number)[];

/** An API error path (`rule.offFen`, `tiers[1].threshold`, `(root)`) as a field name; the root is no field. */
export function fieldName(path: string): FieldName {
  if (path === '' || path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1]! : Number(m[2])));
}

/**
 * Sorts an API error's problems onto the form fields their paths name, or onto the nearest enclosing field the form
 * has (`applies.categories[2]` on the categories list); `rest` are the problems no field can show.
 */
export function placeErrors<D extends Problem>(details: readonly D[], isField: (name: FieldName) => boolean): { fields: { name: FieldName; errors: string[] }[]; rest: D[] } {
  const fields = new Map<string, { name: FieldName; errors: string[] }>();
  const rest: D[] = [];
  for (const detail of details) {
    let name = fieldName(detail.path ?? '');
    while (name.length > 0 && !isField(name)) name = name.slice(0, -1);
    if (name.length === 0) {
      rest.push(detail);
      continue;
    }
    const key = JSON.stringify(name);
    fields.set(key, { name, errors: [...(fields.get(key)?.errors ?? []), detail.message] });
  }
  return { fields: [...fields.values()], rest };
}

/** Shows an API error's problems on the form's fields (placeErrors) and returns those left for an alert. */
export function showFieldErrors<D extends Problem>(form: FormInstance, details: readonly D[], isField: (name: FieldName) => boolean): D[] {
  const { fields, rest } = placeErrors(details, isField);
  form.setFields(fields);
  return rest;
}
