import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RouteTable } from './route-table.js';

it('matches method and path exactly, ignoring only the query string', () => {
  const route = { method: 'GET', path: '/v1/charges', scopes: ['read'], public: false };
  const table = new RouteTable([route, { method: 'POST', path: '/v1/charges', scopes: [], public: false }]);
  assert.equal(table.match('GET', '/v1/charges'), route);
  assert.equal(table.match('GET', '/v1/charges?limit=1&x=?'), route);
  for (const target of [
    '/v1/charges/',
    '//v1/charges',
    '/v1/%63harges',
    '/V1/charges',
    '/v1/x/../charges',
    '/v1/charges#',
    '',
  ]) {
    assert.equal(table.match('GET', target), undefined, target);
  }
  assert.equal(table.match('get', '/v1/charges'), undefined);
  assert.equal(table.match('DELETE', '/v1/charges'), undefined);
});
