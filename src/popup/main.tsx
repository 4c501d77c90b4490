import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';

// Placeholder popup for the foundation: it lists the flagged endpoints the
// background recorded for the active tab. The real popup is its own issue.

function Popup() {
  const [endpoints, setEndpoints] = useState<string[] | null>(null);
  useEffect(() => {
    void (async () => {
      const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
      if (tab?.id === undefined) return setEndpoints([]);
      setEndpoints((await browser.runtime.sendMessage({ type: 'tab-endpoints', tabId: tab.id })) as string[]);
    })();
  }, []);
  if (endpoints === null) return <p>Loading…</p>;
  if (endpoints.length === 0) return <p>No flagged networks contacted.</p>;
  return (
    <ul>
      {endpoints.map((key) => (
        <li key={key}>{key.replace('|', ' — ')}</li>
      ))}
    </ul>
  );
}

const root = document.getElementById('app');
if (root) render(<Popup />, root);
