module.exports = require('../../jest.preset.cjs')('pki', __dirname);
