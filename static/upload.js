// placeholder replaced by the upload client
