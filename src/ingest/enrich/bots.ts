/**
 * Bot detection by User-Agent.
 *
 * Why it exists: crawlers, monitors, scripts and headless browsers would otherwise
 * inflate visitor counts; the ingestion endpoint answers them 202 and drops the event
 * (docs/DATA.md §9). `isbot` carries the maintained pattern list; on top of it, a
 * missing UA is a bot (every real browser sends one) and a few automation markers
 * are added that isbot lets through (e.g. a Lighthouse audit with a plain Chrome UA).
 * The check runs for every request and real traffic repeats few UAs, so results are
 * memoized in a bounded cache.
 */
import { isbot } from 'isbot';
import { memoize } from './memoize.js';

/** Automation markers checked in addition to isbot's list. */
const EXTRA_BOT_PATTERN = /headless|lighthouse|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver/i;

function detect(ua: string): boolean {
  if (ua.trim() === '') return true;
  return isbot(ua) || EXTRA_BOT_PATTERN.test(ua);
}

export const isBot: (ua: string) => boolean = memoize(detect);
