import { Alert, Flex, Segmented, Skeleton } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSegmentCatalogue } from '../../api/segments.ts';
import { ApiErrorAlert } from '../../components/ApiErrorAlert.tsx';
import { JsonInput } from '../../components/JsonInput.tsx';
import { newCondition, newGroup, toDefinition, type Group } from './definition.ts';
import { GroupEditor } from './group-editor.tsx';
import { readCondition } from './read-condition.ts';

type Mode = 'visual' | 'json';

/**
 * A form field holding a segment DSL condition (a segment's definition, a journey condition step's, an exit
 * criterion's): the segment builder's visual editor when it can show the whole condition, else the JSON, with the part
 * it cannot show named (read-condition.ts); a switch between the two. Each edit in either is the condition at once, so
 * the journey canvas and its JSON stay the same journey, and a segment is saved with every part it had.
 */
export function ConditionInput({ value, onChange, testId }: { value?: unknown; onChange?: (value: unknown) => void; testId?: string }) {
  const { t } = useTranslation();
  const catalogue = useSegmentCatalogue();
  const reading = useMemo(() => (catalogue.data ? readCondition(value, catalogue.data) : undefined), [value, catalogue.data]);
  const [chosen, setChosen] = useState<Mode>();
  // The builder's own model while the operator edits in it (its rows keep their ids); dropped when the value changes elsewhere.
  const [group, setGroup] = useState<Group>();
  const emitted = useRef<unknown>(value);
  useEffect(() => {
    if (value !== emitted.current) {
      emitted.current = value;
      setGroup(undefined);
    }
  }, [value]);
  const emit = (next: unknown) => {
    emitted.current = next;
    onChange?.(next);
  };
  if (catalogue.isPending) return <Skeleton active title={false} paragraph={{ rows: 2 }} />;
  const readable = reading !== undefined && 'group' in reading;
  const shown = group ?? (readable ? reading.group : undefined);
  // The visual editor when it has the condition (read, or being built in it), unless the operator chose the JSON.
  const mode: Mode = (chosen ?? 'visual') === 'visual' && shown ? 'visual' : 'json';
  const canShow = readable || value === undefined;
  const edit = (next: Group) => {
    setGroup(next);
    emit(toDefinition(next));
  };
  const switchTo = (next: Mode) => {
    setChosen(next);
    if (next === 'visual' && value === undefined) edit(newGroup('all', [newCondition('field')]));
    else setGroup(undefined);
  };
  return (
    <div data-testid={testId} data-mode={mode}>
      <Flex justify="flex-end" style={{ marginBottom: 8 }}>
        <Segmented<Mode>
          size="small"
          value={mode}
          onChange={switchTo}
          options={[
            { value: 'visual', label: t('segments.condition.visual'), disabled: !canShow },
            { value: 'json', label: t('segments.condition.json') },
          ]}
          data-testid={testId && `${testId}-mode`}
        />
      </Flex>
      {catalogue.isError && <ApiErrorAlert error={catalogue.error} />}
      {mode === 'visual' && shown ? (
        <GroupEditor group={shown} catalogue={catalogue.data} onChange={edit} root />
      ) : (
        <>
          {reading && 'path' in reading && value !== undefined && (
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 8 }}
              title={t('segments.condition.jsonOnly', { part: reading.path || t('segments.condition.whole') })}
              data-testid={testId && `${testId}-why`}
            />
          )}
          <JsonInput
            value={value}
            rows={4}
            testId={testId && `${testId}-json`}
            onChange={(next) => {
              setGroup(undefined);
              emit(next);
            }}
          />
        </>
      )}
    </div>
  );
}
