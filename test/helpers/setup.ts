import { afterAll, afterEach } from '@jest/globals';
import nock from 'nock';

// No test reaches the internet: only loopback (our own servers) is allowed.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.restore();
});
