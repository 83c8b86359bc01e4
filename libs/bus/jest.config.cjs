module.exports = require('../../jest.preset.cjs')('bus', __dirname);
