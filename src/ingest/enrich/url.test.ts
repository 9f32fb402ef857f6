import { describe, expect, it } from 'vitest';
import { type PageUrl, parsePageUrl } from './url.js';

type Utm = PageUrl['utm'];
const NO_UTM: Utm = { source: null, medium: null, campaign: null, content: null, term: null };

describe('parsePageUrl', () => {
  it.each<[string, boolean, PageUrl | null]>([
    ['https://example.com/', false, { hostname: 'example.com', pathname: '/', utm: NO_UTM }],
    ['https://example.com', false, { hostname: 'example.com', pathname: '/', utm: NO_UTM }],
    ['https://www.Example.COM/Blog/Post', false, { hostname: 'example.com', pathname: '/Blog/Post', utm: NO_UTM }],
    ['http://shop.example.com:8080/a/b/?x=1', false, { hostname: 'shop.example.com', pathname: '/a/b/', utm: NO_UTM }],
    ['https://www.www.example.com/', false, { hostname: 'www.example.com', pathname: '/', utm: NO_UTM }],
    ['https://example.com./x', false, { hostname: 'example.com', pathname: '/x', utm: NO_UTM }],
    ['https://example.com/caf%C3%A9', false, { hostname: 'example.com', pathname: '/café', utm: NO_UTM }],
    ['https://example.com/a%20b', false, { hostname: 'example.com', pathname: '/a b', utm: NO_UTM }],
    ['https://example.com/bad%E0%A4%A', false, { hostname: 'example.com', pathname: '/bad%E0%A4%A', utm: NO_UTM }],
    ['https://example.com/100%', false, { hostname: 'example.com', pathname: '/100%', utm: NO_UTM }],
    ['https://example.com/page#section', false, { hostname: 'example.com', pathname: '/page', utm: NO_UTM }],
    ['https://example.com/app#/settings', true, { hostname: 'example.com', pathname: '/app#/settings', utm: NO_UTM }],
    ['https://example.com/#/users/42?tab=1', true, { hostname: 'example.com', pathname: '/#/users/42?tab=1', utm: NO_UTM }],
    ['https://example.com/app#', true, { hostname: 'example.com', pathname: '/app', utm: NO_UTM }],
    ['https://example.com/app', true, { hostname: 'example.com', pathname: '/app', utm: NO_UTM }],
    [
      'https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_content=top&utm_term=ducks',
      false,
      {
        hostname: 'example.com',
        pathname: '/',
        utm: { source: 'newsletter', medium: 'email', campaign: 'spring', content: 'top', term: 'ducks' },
      },
    ],
    [
      'https://example.com/?utm_source=%20Google%20&utm_medium=&utm_campaign=+',
      false,
      { hostname: 'example.com', pathname: '/', utm: { ...NO_UTM, source: 'Google' } },
    ],
    [
      'https://example.com/p?ref=producthunt',
      false,
      { hostname: 'example.com', pathname: '/p', utm: { ...NO_UTM, source: 'producthunt' } },
    ],
    [
      'https://example.com/p?ref=producthunt&utm_source=hn',
      false,
      { hostname: 'example.com', pathname: '/p', utm: { ...NO_UTM, source: 'hn' } },
    ],
    [
      'https://example.com/p?utm_source=&ref=twitter',
      false,
      { hostname: 'example.com', pathname: '/p', utm: { ...NO_UTM, source: 'twitter' } },
    ],
    ['  https://example.com/trimmed  ', false, { hostname: 'example.com', pathname: '/trimmed', utm: NO_UTM }],
    ['not a url', false, null],
    ['', false, null],
    ['/relative/path', false, null],
    ['ftp://example.com/file', false, null],
    ['javascript:alert(1)', false, null],
    ['file:///etc/passwd', false, null],
  ])('%s (hash mode %s)', (input, hashMode, expected) => {
    expect(parsePageUrl(input, hashMode)).toEqual(expected);
  });
});
