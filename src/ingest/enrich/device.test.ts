import { describe, expect, it } from 'vitest';
import { deviceType } from './device.js';

describe('deviceType', () => {
  it.each<[number | null, string | null, string | null]>([
    // screen width decides first
    [320, 'Desktop', 'Mobile'],
    [575, null, 'Mobile'],
    [576, 'Mobile', 'Tablet'],
    [768, null, 'Tablet'],
    [991, 'Desktop', 'Tablet'],
    [992, 'Mobile', 'Laptop'],
    [1280, null, 'Laptop'],
    [1439, null, 'Laptop'],
    [1440, 'Mobile', 'Desktop'],
    [1920, null, 'Desktop'],
    [3840, 'Tablet', 'Desktop'],
    [1, null, 'Mobile'],
    // no usable width: the UA's class
    [null, 'Mobile', 'Mobile'],
    [null, 'Tablet', 'Tablet'],
    [null, 'Desktop', 'Desktop'],
    [0, 'Tablet', 'Tablet'],
    [-5, 'Mobile', 'Mobile'],
    [Number.NaN, 'Desktop', 'Desktop'],
    // neither
    [null, null, null],
    [null, '', null],
    [0, null, null],
  ])('width %s, UA device %s → %s', (width, uaDevice, expected) => {
    expect(deviceType(width, uaDevice)).toBe(expected);
  });
});
