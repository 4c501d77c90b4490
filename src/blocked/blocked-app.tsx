import { useEffect, useState } from 'preact/hooks';
import type { BlockExplanation } from '../background/messages.ts';
import { t } from '../ui/i18n.ts';
import { operatorInfo, operatorName } from '../ui/operators.ts';
import { PHONE_LOGIN_TAG, matchExplanations } from '../ui/wording.ts';
import type { BlockedApi } from './blocked-api.ts';
import { navigableUrl } from './blocked-url.ts';

// The page a top-level navigation to a blocked flagged host lands on: which
// host, whose network, why it was blocked, and the way out ("Go back") or
// through ("Continue once", which the background must allow first, or the
// navigation would be blocked again). It is web-accessible, so it trusts
// nothing in its own address: only an http(s) URL is ever navigated to, and
// inside another page's frame it offers no button at all.

export type Flagged = Extract<BlockExplanation, { flagged: true }>;

type Explained = { state: 'loading' } | { state: 'error'; error: string } | { state: 'done'; explanation: BlockExplanation };

/** What the match means, in the popup's words: a phone-login gateway, a listed domain or CNAME, where it is hosted. */
export function blockSentences(x: Flagged): string[] {
  const custom = x.operatorId === 'custom';
  const operator = operatorName(x.operatorId);
  const out: string[] = [];
  const phoneLogin = x.reason === 'phone-login' || (x.tags ?? []).includes(PHONE_LOGIN_TAG);
  if (phoneLogin && !custom) out.push(t('blockedWhatPhoneLogin', x.host, operator));
  else {
    // The domain and CNAME sentences are the popup's; its IP sentence needs an ASN the explanation may lack.
    const byName = x.matchedBy.filter((by) => by !== 'ip');
    out.push(...matchExplanations({ operatorId: x.operatorId, matchedBy: byName, asn: null, asName: null, domain: x.domain, cname: x.domain, host: x.host }));
  }
  if (x.matchedBy.includes('ip')) {
    if (custom) out.push(t('blockedWhatHostedCustom', x.host));
    else {
      const as = x.asn ? (x.asName ? `AS${x.asn} ${x.asName}` : `AS${x.asn}`) : x.asName;
      out.push(as ? t('blockedWhatHostedAs', x.host, operator, as) : t('blockedWhatHosted', x.host, operator));
    }
  }
  return out;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function BlockedApp({ api, rawUrl }: { api: BlockedApi; rawUrl: string | null }) {
  const target = navigableUrl(rawUrl);
  const url = target?.href ?? null;
  const framed = api.framed();
  const [explained, setExplained] = useState<Explained>({ state: 'loading' });
  const [continuing, setContinuing] = useState(false);
  const [continueError, setContinueError] = useState<string | null>(null);

  useEffect(() => {
    if (url === null || framed) return;
    api.explain(url).then(
      (explanation) => setExplained({ state: 'done', explanation }),
      (error: unknown) => setExplained({ state: 'error', error: message(error) }),
    );
  }, [api, url, framed]);

  function leave() {
    if (api.hasHistory()) api.back();
    else void api.closeTab();
  }

  async function continueOnce() {
    if (url === null || continuing) return;
    setContinuing(true);
    setContinueError(null);
    try {
      const reply = await api.continueOnce(url);
      if (reply.ok) return api.replace(url);
      setContinueError(reply.error ?? '');
    } catch (error) {
      setContinueError(message(error));
    }
    setContinuing(false);
  }

  if (framed) {
    return (
      <main class="blocked" data-state="framed">
        <h1>{t('blockedHeading')}</h1>
        <p>{t('blockedFramed')}</p>
      </main>
    );
  }

  const goBack = (
    <button type="button" class="button primary" onClick={leave} data-testid="go-back">
      {api.hasHistory() ? t('blockedGoBack') : t('blockedCloseTab')}
    </button>
  );

  if (target === null || url === null) {
    return (
      <main class="blocked" data-state="no-url">
        <h1>{t('blockedHeading')}</h1>
        <p>{t('blockedNoUrl')}</p>
        <div class="blocked-actions">{goBack}</div>
      </main>
    );
  }

  const explanation = explained.state === 'done' ? explained.explanation : null;
  const flagged = explanation?.flagged ? (explanation as Flagged) : null;
  const notFlagged = explanation !== null && !explanation.flagged;
  const host = flagged?.host ?? target.hostname;
  const info = flagged ? operatorInfo(flagged.operatorId) : null;

  return (
    <main class="blocked" data-state={explained.state === 'done' ? (flagged ? 'flagged' : 'not-flagged') : explained.state}>
      <h1>{notFlagged ? t('blockedNotBlockedHeading') : t('blockedHeading')}</h1>
      <p class="blocked-host" data-testid="blocked-host">
        {host}
      </p>
      {explained.state === 'loading' && <p class="muted">{t('blockedChecking')}</p>}
      {explained.state === 'error' && <p class="note note-warning">{t('errorBackground', explained.error)}</p>}
      {notFlagged && <p>{t('blockedNotFlagged')}</p>}
      {flagged && info && (
        <>
          <div class="blocked-what" data-testid="blocked-what">
            {blockSentences(flagged).map((sentence) => (
              <p key={sentence}>{sentence}</p>
            ))}
          </div>
          <p class="muted">{t('blockedNotConnected')}</p>
          <dl class="blocked-facts">
            <dt>{t('blockedOperatorLabel')}</dt>
            <dd data-testid="blocked-operator">{info.name}</dd>
            <dt>{t('blockedReasonLabel')}</dt>
            <dd data-testid="blocked-reason">{flagged.reason === 'phone-login' ? t('blockedReasonPhoneLogin') : t('blockedReasonFlagged')}</dd>
            {flagged.what && (
              <>
                <dt>{t('blockedListedAsLabel')}</dt>
                <dd>{flagged.what}</dd>
              </>
            )}
            {flagged.ip && (
              <>
                <dt>{t('blockedIpLabel')}</dt>
                <dd class="mono">{flagged.ip}</dd>
              </>
            )}
          </dl>
          <section class="blocked-why" aria-labelledby="blocked-why-heading">
            <h2 id="blocked-why-heading">{t('whyFlaggedSummary', info.name)}</h2>
            <p data-testid="blocked-why">{info.why}</p>
          </section>
        </>
      )}
      <dl class="blocked-facts">
        <dt>{t('blockedAddressLabel')}</dt>
        <dd class="mono blocked-url" data-testid="blocked-url">
          {url}
        </dd>
      </dl>
      <div class="blocked-actions">
        {goBack}
        <button type="button" class="button" disabled={continuing} onClick={() => void (notFlagged ? api.replace(url) : continueOnce())} data-testid="continue-once">
          {continuing ? t('blockedContinuing') : notFlagged ? t('blockedContinue') : t('blockedContinueOnce')}
        </button>
      </div>
      {continueError !== null && (
        <p class="note note-warning" role="alert" data-testid="continue-error">
          {t('blockedContinueFailed', continueError || t('blockedContinueRefused'))}
        </p>
      )}
      {!notFlagged && <p class="muted blocked-help">{t('blockedContinueHelp')}</p>}
    </main>
  );
}
