import { QRCode } from 'antd';

/**
 * The otpauth:// link as a QR code for an authenticator app to scan. Its own chunk, loaded when enrolment starts:
 * neither the sign-in page nor the account page carries the encoder until then.
 */
export default function TotpQr({ uri }: { uri: string }) {
  return <QRCode value={uri} type="canvas" size={200} errorLevel="M" color="#000" bgColor="#fff" bordered data-testid="totp-qr" />;
}
