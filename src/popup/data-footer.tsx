import { useEffect, useState } from 'preact/hooks';
import type { DataStatus } from '../background/messages.ts';
import { dataFooterText } from '../ui/data-status.ts';
import type { PopupApi } from '../ui/popup-api.ts';

// One quiet line at the bottom of the popup: which network data is in use.
// Asked once per opening; a background that cannot say (older, busy,
// restarting) leaves the line out rather than put an error in the popup.

export function DataFooter({ api }: { api: Pick<PopupApi, 'getDataStatus'> }) {
  const [status, setStatus] = useState<DataStatus | null>(null);
  useEffect(() => {
    let open = true;
    Promise.resolve()
      .then(() => api.getDataStatus())
      .then(
        (next) => open && setStatus(next),
        () => open && setStatus(null),
      );
    return () => void (open = false);
  }, [api]);
  if (!status) return null;
  return (
    <p class="data-footer" data-testid="data-footer">
      {dataFooterText(status)}
    </p>
  );
}
