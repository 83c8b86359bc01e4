module.exports = require('../../jest.preset.cjs')('kubelet-lib', __dirname);
