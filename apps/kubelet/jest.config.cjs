module.exports = require('../../jest.preset.cjs')('kubelet', __dirname);
