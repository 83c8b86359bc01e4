module.exports = require('../../jest.preset.cjs')('apiserver', __dirname);
