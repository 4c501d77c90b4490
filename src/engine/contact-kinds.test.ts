import { describe, expect, it } from 'vitest';
import { contactKinds, kindOfType } from './contact-kinds.ts';

describe('contactKinds', () => {
  it('tells running a script, loading an image or a frame, and sending data apart, strongest first', () => {
    expect(contactKinds(['image', 'script'], false)).toEqual(['script', 'image']);
    expect(contactKinds(['sub_frame'], false)).toEqual(['frame']);
    expect(contactKinds(['xmlhttprequest', 'script'], true)).toEqual(['sent-data', 'script']);
    expect(contactKinds(['ping'], true)).toEqual(['sent-data']);
  });

  it('calls a bare fetch or a WebSocket a connection, and files by what they are', () => {
    expect(contactKinds(['xmlhttprequest'], false)).toEqual(['connected']);
    expect(contactKinds(['websocket'], false)).toEqual(['connected']);
    expect(['stylesheet', 'font', 'media'].map(kindOfType)).toEqual(['file', 'file', 'file']);
    expect(kindOfType('main_frame')).toBe('page');
    expect(kindOfType('something-new')).toBe('connected');
  });

  it('lists each kind once', () => {
    expect(contactKinds(['image', 'imageset', 'image'], false)).toEqual(['image']);
    expect(contactKinds([], false)).toEqual([]);
  });
});
