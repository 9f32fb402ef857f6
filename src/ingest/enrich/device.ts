/**
 * Device class of an event (docs/DATA.md §7).
 *
 * Why it exists: the screen width the tracker sends says more about the device than
 * the User-Agent does (iPads report a desktop UA, laptops and desktops share one),
 * so it decides first, with Plausible's breakpoints:
 *   Mobile < 576 ≤ Tablet < 992 ≤ Laptop < 1440 ≤ Desktop.
 * Server-side events usually carry no width; then the UA's class (Mobile, Tablet,
 * Desktop) is used, and without either the device is unknown (null).
 */

export type DeviceType = 'Mobile' | 'Tablet' | 'Laptop' | 'Desktop';

/** Upper bounds (exclusive) of each class, in px. */
const BREAKPOINTS: ReadonlyArray<readonly [number, DeviceType]> = [
  [576, 'Mobile'],
  [992, 'Tablet'],
  [1440, 'Laptop'],
];

/**
 * A width that is not a positive finite number (0, negative, NaN) counts as absent.
 * The UA's class is passed through unchanged when it is a non-blank string.
 */
export function deviceType(screenWidth: number | null, uaDevice: string | null): string | null {
  if (screenWidth !== null && Number.isFinite(screenWidth) && screenWidth > 0) {
    for (const [limit, type] of BREAKPOINTS) {
      if (screenWidth < limit) return type;
    }
    return 'Desktop';
  }
  const ua = uaDevice?.trim();
  return ua ? ua : null;
}
