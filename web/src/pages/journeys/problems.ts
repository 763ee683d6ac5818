// The server names each problem of a draft by its path (`nodes.remind.next: no step "gone" in nodes`); the canvas
// shows it on the step the path names, on the link when the path is a link field, and on the entry card otherwise.

export interface Problem {
  path: string;
  message: string;
}

/** Which step a problem's path names (`nodes.remind.content.body` → remind), if any. */
export const stepOf = (path: string): string | undefined => /^nodes\.([^.[]+)/.exec(path)?.[1];

/** The handle a problem's path names, when it is a link: `next`, `then`…, a split arm's `variant:N`, or the entry's `start`. */
export function handleOf(path: string): string | undefined {
  if (path === 'start') return 'start';
  const link = /^nodes\.[^.[]+\.(next|on_event|on_timeout|then|else)$/.exec(path)?.[1];
  if (link) return link;
  const arm = /^nodes\.[^.[]+\.variants\[(\d+)\]\.next$/.exec(path)?.[1];
  return arm === undefined ? undefined : `variant:${arm}`;
}

/** The problems of each step, and those no step owns (entry, reentry, goal, exits, start…), which the entry card shows. */
export function groupProblems(problems: readonly Problem[]): { byStep: Map<string, Problem[]>; general: Problem[] } {
  const byStep = new Map<string, Problem[]>();
  const general: Problem[] = [];
  for (const p of problems) {
    const step = stepOf(p.path);
    if (step === undefined) general.push(p);
    else byStep.set(step, [...(byStep.get(step) ?? []), p]);
  }
  return { byStep, general };
}
