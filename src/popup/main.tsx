import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { TabReply } from '../background/messages.ts';

// Placeholder popup: the flagged endpoints the background recorded for the
// active tab (or ?tab=<id>). The real popup is its own issue.

async function tabIdToShow(): Promise<number | undefined> {
  const fromQuery = Number(new URLSearchParams(location.search).get('tab'));
  if (Number.isInteger(fromQuery) && fromQuery > 0) return fromQuery;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id;
}

function Popup() {
  const [reply, setReply] = useState<TabReply | null>(null);
  useEffect(() => {
    void (async () => {
      const tabId = await tabIdToShow();
      if (tabId === undefined) return setReply({ tab: null, storageError: null });
      setReply((await browser.runtime.sendMessage({ type: 'get-tab', tabId })) as TabReply);
    })();
  }, []);
  if (reply === null) return <p>Loading…</p>;
  const endpoints = reply.tab?.current?.endpoints ?? [];
  if (endpoints.length === 0) return <p>No flagged networks contacted.</p>;
  return (
    <ul>
      {endpoints.map((e) => (
        <li key={`${e.host}|${e.operatorId}`}>
          {e.host} — {e.operator} ({e.matchedBy.join(', ')})
        </li>
      ))}
    </ul>
  );
}

const root = document.getElementById('app');
if (root) render(<Popup />, root);
