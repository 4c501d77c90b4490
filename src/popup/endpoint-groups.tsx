import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Endpoint } from '../background/page-view.ts';
import { formatNumber, formatTime } from '../ui/format.ts';
import { t } from '../ui/i18n.ts';
import { operatorInfo, operatorName } from '../ui/operators.ts';
import type { EndpointGroup } from '../ui/popup-model.ts';
import { asLabel, ipLabel, isPhoneLogin, kindLabels, learnedBeforeBlocking, matchExplanations, partyLabel, reachCounts, reachLabel, requestsLabel, typesLabel } from '../ui/wording.ts';
import { contactKinds } from '../engine/contact-kinds.ts';

// The flagged endpoints, one section per operator, each with a "why is this
// flagged" panel and its sources. Rows are kept light (a few text nodes, no
// per-row handlers). A long list is rendered in steps: the first rows (more
// than a popup shows) at once, the rest in the next frames, always appended
// at the end, so the first render stays fast and nothing above moves.

const MAX_IPS_SHOWN = 3;
export const FIRST_ROWS = 120;
const ROWS_PER_STEP = 300;

/** How many rows to render: FIRST_ROWS at first, then more every frame until all. */
function useProgressiveRows(total: number, onComplete?: () => void): number {
  const [budget, setBudget] = useState(FIRST_ROWS);
  const completed = useRef(false);
  useEffect(() => {
    if (budget >= total) return;
    const timer = setTimeout(() => setBudget((b) => b + ROWS_PER_STEP), 0);
    return () => clearTimeout(timer);
  }, [budget, total]);
  useLayoutEffect(() => {
    if (budget >= total && total > 0 && !completed.current) {
      completed.current = true;
      onComplete?.();
    }
  }, [budget, total, onComplete]);
  return budget;
}

interface Props {
  groups: EndpointGroup[];
  spilled: number;
  /** Chrome blocks an IP-matched host only once it has seen its address (ProtectionStatus.learnsHosts). */
  learnsHosts?: boolean;
  /** Called once every row is in the DOM. */
  onAllRendered?: () => void;
}

export function EndpointGroups({ groups, spilled, learnsHosts = false, onAllRendered }: Props) {
  const total = groups.reduce((n, g) => n + g.endpoints.length, 0);
  let budget = useProgressiveRows(total, onAllRendered);
  if (groups.length === 0) return null;
  const phoneLogins = groups.some((g) => g.endpoints.some(isPhoneLogin));
  return (
    <div class="groups">
      {phoneLogins && (
        <div class="phone-login-banner" role="note" data-testid="phone-login-banner">
          <strong>{t('phoneLoginTitle')}</strong> {t('phoneLoginExplain')}
        </div>
      )}
      {groups.map((g) => {
        if (budget <= 0) return null;
        const rows = budget >= g.endpoints.length ? g.endpoints : g.endpoints.slice(0, budget);
        budget -= rows.length;
        return <OperatorSection key={g.operatorId} group={g} rows={rows} learnsHosts={learnsHosts} />;
      })}
      {spilled > 0 && <p class="note">{t('spilledNote', formatNumber(spilled))}</p>}
    </div>
  );
}

function OperatorSection({ group, rows, learnsHosts }: { group: EndpointGroup; rows: Endpoint[]; learnsHosts: boolean }) {
  const info = operatorInfo(group.operatorId);
  const headingId = `op-${group.operatorId}`;
  return (
    <section class="operator" aria-labelledby={headingId} data-operator={group.operatorId}>
      <h2 id={headingId} class="operator-heading">
        <span class="operator-name">{group.name}</span>
        <span class="operator-count">{group.endpoints.length === 1 ? t('endpointsCountOne') : t('endpointsCount', formatNumber(group.endpoints.length))}</span>
      </h2>
      <details class="why">
        <summary>{t('whyFlaggedSummary', info.name)}</summary>
        <p>{info.why}</p>
        {info.group && <p class="muted">{t('operatorGroup', info.group)}</p>}
        {info.sources.length > 0 && (
          <>
            <p class="sources-heading">{t('sourcesHeading')}</p>
            <ul class="sources">
              {info.sources.map((s) => (
                <li key={s.title}>{s.url ? <a href={s.url} target="_blank" rel="noreferrer noopener">{s.title}</a> : s.title}</li>
              ))}
            </ul>
          </>
        )}
      </details>
      <ul class="endpoints">
        {rows.map((e) => (
          <EndpointRow key={e.host} endpoint={e} learnsHosts={learnsHosts} />
        ))}
      </ul>
    </section>
  );
}

export function EndpointRow({ endpoint: e, learnsHosts = false }: { endpoint: Endpoint; learnsHosts?: boolean }) {
  const phone = isPhoneLogin(e);
  const as = asLabel(e);
  const ips = ipLabel(e, e.ips.length > MAX_IPS_SHOWN ? `${e.ips.slice(0, MAX_IPS_SHOWN).join(', ')} ${t('moreCount', formatNumber(e.ips.length - MAX_IPS_SHOWN))}` : e.ips.join(', '));
  const reach = reachCounts(e);
  const reached = [reach.network > 0 && 'network', reach.cache > 0 && 'cache', reach.failed > 0 && 'failed', reach.blocked > 0 && 'blocked'].filter(Boolean).join(' ');
  const onlyBlocked = reach.blocked > 0 && reach.blocked === e.count;
  return (
    <li
      class={`endpoint${phone ? ' is-phone-login' : ''}${e.sentData ? ' is-sent-data' : ''}${onlyBlocked ? ' is-blocked' : ''}`}
      data-host={e.host}
      data-kinds={contactKinds(e.types, e.sentData).join(' ')}
      data-reached={reached}
      data-blocked={reach.blocked}
    >
      <div class="endpoint-head">
        <span class="host">{e.host}</span>
        {phone && <span class="tag tag-phone">{t('tagPhoneLogin')}</span>}
        {e.confidence !== 'high' && <span class="tag">{e.confidence === 'medium' ? t('confidenceMedium') : t('confidenceLow')}</span>}
        <span class="tag tag-party">{partyLabel(e.party)}</span>
        {onlyBlocked && <span class="tag tag-blocked">{t('popupProtectionTagBlocked')}</span>}
      </div>
      <p class="did" data-testid="did">{kindLabels(e).join(' · ')}</p>
      <p class="match">{matchExplanations(e).join(' ')}</p>
      <p class="facts">
        {ips && <span class="fact" data-testid="ips">{ips}</span>}
        {as && <span class="fact">{as}</span>}
        <span class="fact">{t('factRequests', typesLabel(e.types), requestsLabel(e.count, 0))}</span>
        <span class="fact" data-testid="reached">{reachLabel(e)}</span>
        <span class="fact">{t('factFirstSeen', formatTime(e.firstSeen))}</span>
        {e.viaWorker && <span class="fact">{t('factViaWorker')}</span>}
      </p>
      {learnedBeforeBlocking(e, learnsHosts) && (
        <p class="learned-note" data-testid="learned-note">
          {e.operatorId === 'custom' ? t('popupProtectionLearnedNoteCustom', e.host) : t('popupProtectionLearnedNote', e.host, operatorName(e.operatorId))}
        </p>
      )}
    </li>
  );
}
