import { Alert } from 'antd';
import type { Problem } from './problems.ts';

/** Problems as a list, each with the path the server named. */
export function ProblemItems({ problems }: { problems: Problem[] }) {
  return (
    <ul className="siyu-error-details">
      {problems.map((p, i) => (
        <li key={i}>
          {p.path && <code>{p.path}</code>} {p.message}
        </li>
      ))}
    </ul>
  );
}

/** The problems of one part of the journey (a step, the entry), in an alert; nothing when there are none. */
export function ProblemList({ problems, testId = 'panel-problems' }: { problems: Problem[]; testId?: string }) {
  if (!problems.length) return null;
  return <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid={testId} title={<ProblemItems problems={problems} />} />;
}
