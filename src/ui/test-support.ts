import en from '../../public/_locales/en/messages.json';
import zh from '../../public/_locales/zh_CN/messages.json';
import { lookupFromMessages, setMessageLookup } from './i18n.ts';

// For unit tests only: messages straight from _locales, as the browser would
// give them, and a way to let promises and Preact's renders settle.

export function useLocale(locale: 'en' | 'zh_CN'): void {
  setMessageLookup(lookupFromMessages(locale === 'en' ? en : zh), locale === 'en' ? 'en-GB' : 'zh-CN');
}

/** Lets pending promises, timers of 0 ms and Preact's batched renders run. */
export async function settle(rounds = 5): Promise<void> {
  const { act } = await import('preact/test-utils');
  for (let i = 0; i < rounds; i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}
