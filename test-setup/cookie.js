// fastify's inject (light-my-request) requires cookie@2, which is ESM-only: jest 30 on Node 20 cannot
// require it. light-my-request uses only its stringifySetCookie, and only for cookies a test injects
// (none of ours do). jest.config.js maps `cookie` here, for every test file at once.
module.exports = {
  stringifySetCookie: (cookie) => `${cookie.name}=${cookie.value}`,
};
