import '@servicenow/sdk/global';

declare global {
  namespace Now {
    namespace Internal {
      interface Keys extends KeysRegistry {
        explicit: {
          bom_json: {
            table: 'sys_module';
            id: '6da2203bcf584e67bea5b7904387bc73';
          };
          package_json: {
            table: 'sys_module';
            id: '49202df53b984165ac87a0ccb987d00a';
          };
        };
        composite: [
          {
            table: 'sys_ui_page';
            id: '0fa2b71db4bd4888aa67d546c790a64b';
            key: {
              endpoint: 'x_ngxut_demo_token.do';
            };
          },
          {
            table: 'sys_ux_lib_asset';
            id: '315d65d680044422b37ab492db7b1237';
            key: {
              name: 'x_ngxut_demo/styles';
            };
          },
          {
            table: 'sys_ui_page';
            id: '562db997dc504f10b6fc08530938cd32';
            key: {
              endpoint: 'x_ngxut_demo_login_complete.do';
            };
          },
          {
            table: 'sys_ui_page';
            id: 'b750c2d803d641c6ac2082ae5d4c2c8a';
            key: {
              endpoint: 'x_ngxut_demo_incidents.do';
            };
          },
          {
            table: 'sys_ux_lib_asset';
            id: 'cceccc8fb9994146a13a5adcf374f703';
            key: {
              name: 'x_ngxut_demo/main';
            };
          },
        ];
      }
    }
  }
}
